import type { Logger } from '@zocalo/workflows';
import { MemoryBroker, MemoryTransport } from '@zocalo/workflows';
import { runTransportConformance } from '../src';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

// One broker per test file: every transport the suite creates must reach the same broker.
const broker = new MemoryBroker();

runTransportConformance({
  name: 'memory',
  create: () => new MemoryTransport({ broker, logger: quiet }),
  deadLetterQueue: (queue) => `DLQ.${queue}`,
  quietPeriod: 100,
});
