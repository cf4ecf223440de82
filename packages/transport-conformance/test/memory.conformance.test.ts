import type { Logger } from '@zocalo/workflows';
import { MemoryBroker, MemoryTransport } from '@zocalo/workflows';
import { runTransportConformance, sleep } from '../src';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

// One broker per test file: every transport the suite creates must reach the same broker.
const broker = new MemoryBroker();
// The connection-loss group's faults hit every link of a broker: it gets one of its own.
const faulty = new MemoryBroker();
/** Heart-beat of the transports on the faulty broker, in seconds: a silent link is dropped within 2.5 of them. */
const HEARTBEAT = 0.4;

runTransportConformance({
  name: 'memory',
  create: () => new MemoryTransport({ broker, logger: quiet }),
  deadLetterQueue: (queue) => `DLQ.${queue}`,
  quietPeriod: 100,
  connectionLoss: {
    // ZOCALO_CONFORMANCE_LOG=1 prints each case's figures (time to notice a stall, to reconnect).
    log: process.env.ZOCALO_CONFORMANCE_LOG ? (line) => console.log(line) : undefined,
    simulated: {
      create: (settings) =>
        new MemoryTransport({
          broker: faulty,
          logger: quiet,
          heartbeat: HEARTBEAT,
          reconnect: {
            initialDelay: settings.initialDelayMs / 1000,
            maxDelay: settings.maxDelayMs / 1000,
            attempts: settings.attempts,
          },
        }),
      faults: {
        dropAll: () => faulty.dropConnections(),
        stall: () => faulty.stallConnections(),
        resume: () => faulty.resumeConnections(),
        refuse: (ms) => faulty.refuseConnections(ms),
        accept: () => faulty.acceptConnections(),
        openConnections: () => faulty.connectionCount(),
      },
    },
    livenessBound: Math.round(3 * HEARTBEAT * 1000),
    // A restart: every connection closed, none taken for a moment; the broker keeps its messages.
    restartBroker: async () => {
      faulty.refuseConnections(300);
      faulty.dropConnections();
      await sleep(300);
    },
  },
});
