/**
 * python-zocalo's command names as installed executables (dist/bin/zocalo.*.js) on ActiveMQ and
 * RabbitMQ: the usage lines of python-cases.ts that reach a broker, checked for exit code, output and
 * what arrived on the broker.
 */
import type { BrokerKind } from '@zocalo/test-brokers';
import { BROKER_FLAGS, requireBroker } from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import { StompTransport } from '@zocalo/transport-stomp';
import type { MessageBody, Transport } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';
import { pythonZocalo, until } from './helpers';
import { PYTHON_CASES } from './python-cases';
import { prepareCase } from './python-case-run';

jest.setTimeout(60_000);

function transportFor(kind: BrokerKind): Transport {
  const logger = new RecordingLogger();
  return kind === 'stomp'
    ? new StompTransport({ host: '127.0.0.1', port: 61613, logger })
    : new AmqpTransport({ host: '127.0.0.1', port: 5672, logger });
}

const BROKER_CASES = Object.entries(PYTHON_CASES).flatMap(([name, cases]) =>
  cases
    .filter((entry) => entry.commands || (entry.sent && entry.sent.length > 0))
    .map((entry) => [`${name} ${entry.args.join(' ')}`, name, entry] as const),
);

describe.each(['stomp', 'amqp'] as const)('python-zocalo command lines on %s', (kind) => {
  let client: Transport;
  let received: MessageBody[];
  const requests: MessageBody[] = [];

  beforeAll(async () => {
    await requireBroker(kind);
    client = transportFor(kind);
    await client.connect();
    client.subscribeBroadcast('command', (_headers, message) => void received.push(message));
    // python-zocalo's fixed queue; each case's requests carry its own marker.
    await client.subscribe('processing_recipe', (_headers, message) => void requests.push(message));
  });

  afterAll(async () => {
    await client.disconnect();
  });

  beforeEach(() => {
    received = [];
  });

  it.each(BROKER_CASES)('%s', async (_line, name, entry) => {
    const prepared = prepareCase(entry);
    const run = await pythonZocalo(name, [...prepared.args, ...BROKER_FLAGS[kind]], { env: prepared.env });
    if (run.code !== entry.code) throw new Error(`exit ${run.code}, stderr: ${run.stderr}`);
    await prepared.check(run, () => requests);
    if (entry.commands) {
      await until(() => received.length >= entry.commands!.length);
      expect(received).toEqual(entry.commands);
    }
  });
});
