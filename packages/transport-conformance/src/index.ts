/**
 * @zocalo/transport-conformance: one suite that any Zocalo transport runs against itself, under jest,
 * vitest or node:test (the runner comes from the caller; jest's globals by default).
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
import { connectionLossTests } from './groups/connection-loss';
import { featureTests } from './groups/features';
import { messagingTests } from './groups/messaging';
import { statusTests } from './groups/status';
import { temporaryQueueTests } from './groups/temporary';
import { timingTests } from './groups/timing';
import { transactionTests } from './groups/transactions';
import { runnerFor } from './runner';

export type { ConformanceOptions, Delivery } from './harness';
export { Collector, Harness, sleep, useHarness } from './harness';
export { expectError } from './expect-error';
export type { Expectation, Matchers } from './expect';
export { deepEqual, expect } from './expect';
export type { ConnectionLossOptions, LinkFaults, LinkSettings } from './groups/connection-loss';
export { ConformanceSetupError, eventStreamProblems } from './groups/connection-loss';
export type { FaultProxyStats, NetAddress } from './fault-proxy';
export { FaultProxy, FaultProxyError } from './fault-proxy';
export type { ConformanceRunner, NodeTestFunctions, RunnerOptions, TestBody } from './runner';
export { ConformanceRunnerError, nodeTestRunner, runnerFor } from './runner';
export {
  acknowledgementTests,
  argumentTests,
  backlogTests,
  bodyTests,
  broadcastTests,
  connectionLossTests,
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
  runnerFor(options).describe(`${options.name} transport conformance`, () => {
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
    if (options.connectionLoss) connectionLossTests(options);
  });
}
