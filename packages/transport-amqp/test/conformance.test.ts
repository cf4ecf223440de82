import { rabbitManagement, requireBroker } from '@zocalo/test-brokers';
import { runTransportConformance } from '@zocalo/transport-conformance';
import { AmqpTransport } from '../src';
import { quietLogger } from './helpers';

beforeAll(() => requireBroker('amqp'));

runTransportConformance({
  name: 'amqp',
  create: () => new AmqpTransport({ host: '127.0.0.1', logger: quietLogger() }),
  deadLetterQueue: (queue) => `dlq.${queue}`,
  deleteQueue: async (queue) => {
    await rabbitManagement.deleteQueue(queue);
  },
});
