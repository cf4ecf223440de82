/**
 * The output limits of one message on memory, ActiveMQ and RabbitMQ (#24): a message whose handling
 * would send more messages than `maxOutputsPerMessage`, or more bytes than `maxOutputBytesPerMessage`,
 * is dead-lettered on its first delivery with the reason, none of its outputs sent (the transaction is
 * aborted), and the message behind it is processed.
 *
 * Before, nothing bounded them: a 10,000-way recipe fan-out of a 0.6 MB message built about 6 GB of
 * outputs and the process died of heap exhaustion. Small limits here keep the test quick.
 */
import { requireBroker, sleep, uniqueName, until } from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import {
  OutputLimitError,
  RecordingLogger,
  ServiceRuntime,
  ServiceState,
  defineService,
} from '@zocalo/workflows';
import type { Received, Site } from './helpers';
import {
  ACTIVEMQ,
  MEMORY,
  QueueNames,
  RABBITMQ,
  closeAll,
  collect,
  configurationOf,
  connect,
} from './helpers';

interface Job {
  readonly id: string;
  /** Outputs to send. */
  readonly count: number;
  /** Characters of text in each. */
  readonly size: number;
}

const JOBS: readonly Job[] = [
  { id: 'wide', count: 6, size: 1 },
  { id: 'after-wide', count: 1, size: 1 },
  { id: 'heavy', count: 3, size: 2000 },
  { id: 'after-heavy', count: 2, size: 1000 },
];
const DEAD = ['wide', 'heavy'];
const OUTPUTS = ['after-wide', 'after-heavy', 'after-heavy'];

describe.each([MEMORY, ACTIVEMQ, RABBITMQ])('output limits of one message on $label', (site: Site) => {
  const opened: Transport[] = [];
  const queues = new QueueNames(site);
  let runtime: ServiceRuntime | undefined;

  beforeAll(async () => {
    if (site.broker) await requireBroker(site.broker);
  });
  afterEach(async () => {
    runtime?.stop();
    await runtime?.run().catch(() => undefined);
    runtime = undefined;
    await closeAll(opened);
    await queues.remove();
  });

  it('too many outputs, or too many bytes: dead-lettered on the first delivery with the reason, none of its outputs sent; the message behind it processed', async () => {
    const work = queues.name('test.proof.limits');
    const out = queues.name('test.proof.limits.out');
    const dlq = queues.track(site.broker === 'amqp' ? `dlq.${work}` : `DLQ.${work}`);
    const client = await connect(site, opened);
    const outputs: Received[] = await collect(client, out);
    const dead: Received[] = await collect(client, dlq);
    const attempts = new Map<string, number>();
    const messageIds = new Map<string, string>();
    const logger = new RecordingLogger();

    const transport = await configurationOf(site).createTransport({ logger: new RecordingLogger() });
    runtime = new ServiceRuntime(
      defineService({
        name: 'FanOut',
        initializing: async (ctx) => {
          await ctx.subscribe<Job>(work, async (msg) => {
            const { id, count, size } = msg.message;
            attempts.set(id, (attempts.get(id) ?? 0) + 1);
            if (!messageIds.has(id)) messageIds.set(id, msg.header['message-id']);
            for (let index = 0; index < count; index++) await msg.send(out, { id, text: 'x'.repeat(size) });
          });
        },
      }),
      {
        transport,
        logger,
        hostId: uniqueName('uk.ac.diamond.proof'),
        commandTopic: false,
        maxOutputsPerMessage: 5,
        maxOutputBytesPerMessage: 5000,
      },
    );
    void runtime.run().catch(() => undefined);
    await until(() => runtime?.state === ServiceState.IDLE, 15_000, 'the service to start');

    for (const job of JOBS) await client.send(work, job);
    await until(
      () => dead.length >= DEAD.length && outputs.length >= OUTPUTS.length,
      15_000,
      `${DEAD.length} dead letters (got ${dead.length}) and ${OUTPUTS.length} outputs (got ${outputs.length})`,
    );
    await sleep(500); // room for a redelivery, or a stray output, that must not come

    expect(Object.fromEntries(attempts)).toEqual({ wide: 1, 'after-wide': 1, heavy: 1, 'after-heavy': 1 });
    expect(dead.map((received) => (received.message as Job).id)).toEqual(DEAD);
    expect(outputs.map((received) => (received.message as { id: string }).id)).toEqual(OUTPUTS);
    expect(runtime.state).toBe(ServiceState.IDLE);

    const said = logger.records.filter((entry) => /no retry can cure/.test(entry.msg));
    expect(said.map((entry) => entry.fields.messageId)).toEqual(DEAD.map((id) => messageIds.get(id)));
    expect(said.map((entry) => entry.fields.reason)).toEqual([
      expect.stringMatching(
        /^OutputLimitError: maxOutputsPerMessage limits the outputs of one message to 5 messages; this send would make them 6 messages, so it was refused before it was sent\./,
      ),
      expect.stringMatching(
        /^OutputLimitError: maxOutputBytesPerMessage limits the outputs of one message to 5000 bytes; this send would make them 60\d\d bytes, so it was refused before it was sent\./,
      ),
    ]);
    expect(
      said.every((entry) => entry.level === 'error' && entry.fields.err instanceof OutputLimitError),
    ).toBe(true);
  });
});
