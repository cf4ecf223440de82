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

jest.setTimeout(60_000);

function transportFor(kind: BrokerKind): Transport {
  const logger = new RecordingLogger();
  return kind === 'stomp'
    ? new StompTransport({ host: '127.0.0.1', port: 61613, logger })
    : new AmqpTransport({ host: '127.0.0.1', port: 5672, logger });
}

const BROKER_CASES = Object.entries(PYTHON_CASES).flatMap(([name, cases]) =>
  cases
    .filter((entry) => entry.commands)
    .map((entry) => [`${name} ${entry.args.join(' ')}`, name, entry] as const),
);

describe.each(['stomp', 'amqp'] as const)('python-zocalo command lines on %s', (kind) => {
  let client: Transport;
  let received: MessageBody[];

  beforeAll(async () => {
    await requireBroker(kind);
    client = transportFor(kind);
    await client.connect();
    client.subscribeBroadcast('command', (_headers, message) => void received.push(message));
  });

  afterAll(async () => {
    await client.disconnect();
  });

  beforeEach(() => {
    received = [];
  });

  it.each(BROKER_CASES)('%s', async (_line, name, entry) => {
    const run = await pythonZocalo(name, [...entry.args, ...BROKER_FLAGS[kind]]);
    if (run.code !== entry.code) throw new Error(`exit ${run.code}, stderr: ${run.stderr}`);
    if (entry.stdout) expect(run.stdout).toMatch(entry.stdout);
    await until(() => received.length >= entry.commands!.length);
    expect(received).toEqual(entry.commands);
  });
});
