import { BROKERS, requireBroker, restartBroker } from '@zocalo/test-brokers';
import { runTransportConformance } from '@zocalo/transport-conformance';
import { stompTransport, STOMP_PORT } from './helpers';

beforeAll(async () => {
  await requireBroker('stomp');
});

/** Heart-beat of the connection-loss cases, in seconds: a broker silent for three intervals is dropped. */
const HEARTBEAT = 1;

runTransportConformance({
  name: 'stomp',
  create: () => stompTransport(),
  // ActiveMQ dead-letters a NACKed message at once, to DLQ.<queue> with the test broker's strategy.
  deadLetterQueue: (queue) => `DLQ.${queue}`,
  timeout: 10000,
  connectionLoss: {
    // ZOCALO_CONFORMANCE_LOG=1 prints each case's figures (time to notice a stall, to reconnect).
    log: process.env.ZOCALO_CONFORMANCE_LOG ? (line) => console.log(line) : undefined,
    brokerAddress: { host: BROKERS.stomp.host, port: STOMP_PORT },
    createThrough: (address, settings) =>
      stompTransport({
        host: address.host,
        port: address.port,
        heartbeat: HEARTBEAT,
        connectTimeout: 5,
        reconnect: {
          initialDelay: settings.initialDelayMs / 1000,
          maxDelay: settings.maxDelayMs / 1000,
          attempts: settings.attempts,
        },
      }),
    // Three silent intervals (stomp-settings.ts), and one more for the check to run.
    livenessBound: 4 * HEARTBEAT * 1000,
    restartBroker: () => restartBroker('stomp'),
  },
});
