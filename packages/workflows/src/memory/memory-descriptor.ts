/** The descriptor of the embedded memory transport, registered by the registry itself. */
import type { TransportDescriptor } from '../transport-descriptor';
import { DEAD_LETTER_PREFIX } from './memory-broker';
import type { MemoryTransportOptions } from './memory-transport';
import { MemoryTransport } from './memory-transport';

export const memoryDescriptor: TransportDescriptor = {
  name: 'memory',
  description: 'embedded, in one process',
  create: (settings) => new MemoryTransport(settings as MemoryTransportOptions),
  settings: [{ key: 'defaultPrefetch', type: 'count' }],
  describe: () => 'its queues end with this process',
  deadLetterPrefix: DEAD_LETTER_PREFIX,
};
