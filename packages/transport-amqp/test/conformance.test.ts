import { BROKERS, rabbitManagement, requireBroker, restartBroker } from '@zocalo/test-brokers';
import { runTransportConformance } from '@zocalo/transport-conformance';
import { RecordingLogger } from '@zocalo/workflows';
import { AmqpTransport } from '../src';

beforeAll(() => requireBroker('amqp'));

/** AMQP heart-beat of the connection-loss cases, in seconds. */
const HEARTBEAT = 1;

runTransportConformance({
  name: 'amqp',
  create: () => new AmqpTransport({ host: '127.0.0.1', logger: new RecordingLogger() }),
  deadLetterQueue: (queue) => `dlq.${queue}`,
  deleteQueue: async (queue) => {
    await rabbitManagement.deleteQueue(queue);
  },
  connectionLoss: {
    // ZOCALO_CONFORMANCE_LOG=1 prints each case's figures (time to notice a stall, to reconnect).
    log: process.env.ZOCALO_CONFORMANCE_LOG ? (line) => console.log(line) : undefined,
    brokerAddress: { host: BROKERS.amqp.host, port: BROKERS.amqp.port },
    createThrough: (address, settings) =>
      new AmqpTransport({
        host: address.host,
        port: address.port,
        logger: new RecordingLogger(),
        heartbeat: HEARTBEAT,
        connectTimeout: 5,
        reconnect: {
          initialDelay: settings.initialDelayMs / 1000,
          maxDelay: settings.maxDelayMs / 1000,
          attempts: settings.attempts,
        },
      }),
    // A peer silent for two heart-beat intervals is dead (AMQP 0-9-1, 4.2.7); one more for the check.
    livenessBound: 3 * HEARTBEAT * 1000,
    restartBroker: () => restartBroker('amqp'),
  },
});
