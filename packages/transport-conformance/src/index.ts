/**
 * @zocalo/transport-conformance: one jest suite that any Zocalo transport runs against itself.
 *
 * ```ts
 * import { runTransportConformance } from '@zocalo/transport-conformance';
 * runTransportConformance({ name: 'mine', create: () => new MyTransport(settings) });
 * ```
 *
 * Each group is also exported alone, for a transport that wants to run them in separate files.
 */
import type { ConformanceOptions } from './harness';
import { acknowledgementTests } from './groups/acknowledgement';
import { argumentTests } from './groups/arguments';
import { backlogTests } from './groups/backlog';
import { bodyTests } from './groups/bodies';
import { broadcastTests } from './groups/broadcast';
import { connectionTests } from './groups/connection';
import { featureTests } from './groups/features';
import { messagingTests } from './groups/messaging';
import { statusTests } from './groups/status';
import { temporaryQueueTests } from './groups/temporary';
import { timingTests } from './groups/timing';
import { transactionTests } from './groups/transactions';

export type { ConformanceOptions, Delivery } from './harness';
export { Collector, Harness, sleep, useHarness } from './harness';
export { expectError } from './expect-error';
export {
  acknowledgementTests,
  argumentTests,
  backlogTests,
  bodyTests,
  broadcastTests,
  connectionTests,
  featureTests,
  messagingTests,
  statusTests,
  temporaryQueueTests,
  timingTests,
  transactionTests,
};

/** Register every conformance group for one transport, inside `describe('<name> transport conformance')`. */
export function runTransportConformance(options: ConformanceOptions): void {
  describe(`${options.name} transport conformance`, () => {
    // Tests wait up to `timeout` for a message, so jest's own limit must be well above it.
    jest.setTimeout(options.testTimeout ?? Math.max(30_000, (options.timeout ?? 5000) * 4));
    connectionTests(options);
    messagingTests(options);
    bodyTests(options);
    acknowledgementTests(options);
    backlogTests(options);
    transactionTests(options);
    broadcastTests(options);
    temporaryQueueTests(options);
    timingTests(options);
    featureTests(options);
    statusTests(options);
    argumentTests(options);
  });
}
