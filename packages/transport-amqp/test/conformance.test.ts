import { rabbitManagement, requireBroker } from '@zocalo/test-brokers';
import { runTransportConformance } from '@zocalo/transport-conformance';
import { RecordingLogger } from '@zocalo/workflows';
import { AmqpTransport } from '../src';

beforeAll(() => requireBroker('amqp'));

runTransportConformance({
  name: 'amqp',
  create: () => new AmqpTransport({ host: '127.0.0.1', logger: new RecordingLogger() }),
  deadLetterQueue: (queue) => `dlq.${queue}`,
  deleteQueue: async (queue) => {
    await rabbitManagement.deleteQueue(queue);
  },
});
