import { requireBroker } from '@zocalo/test-brokers';
import { runTransportConformance } from '@zocalo/transport-conformance';
import { stompTransport } from './helpers';

beforeAll(async () => {
  await requireBroker('stomp');
});

runTransportConformance({
  name: 'stomp',
  create: () => stompTransport(),
  // ActiveMQ dead-letters a NACKed message at once, to DLQ.<queue> with the test broker's strategy.
  deadLetterQueue: (queue) => `DLQ.${queue}`,
  timeout: 10000,
});
