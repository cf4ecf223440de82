/**
 * Errors that no retry can cure, on memory, ActiveMQ and RabbitMQ: a handler whose output is too deep
 * to serialise (InvalidArgumentError), that overflows the stack (RangeError) or that throws a
 * PermanentError has its message dead-lettered on the first delivery, with the reason logged, and none
 * of its outputs sent; the messages queued behind it are processed, and a transient error still gets
 * its message redelivered.
 *
 * Before, each of them was released for redelivery for ever (about 11 times every 15 s with the
 * back-off), and on ActiveMQ the message behind it was never delivered.
 */
import { requireBroker, sleep, uniqueName, until } from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import {
  PermanentError,
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

type Kind = 'deep' | 'range' | 'permanent' | 'transient' | 'valid';

interface Job {
  readonly id: string;
  readonly kind: Kind;
}

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

function overflow(depth: number): number {
  return overflow(depth + 1) + 1;
}

/** Each failing message, with a valid one queued behind it. */
const JOBS: readonly Job[] = [
  { id: 'deep', kind: 'deep' },
  { id: 'after-deep', kind: 'valid' },
  { id: 'range', kind: 'range' },
  { id: 'after-range', kind: 'valid' },
  { id: 'permanent', kind: 'permanent' },
  { id: 'after-permanent', kind: 'valid' },
  { id: 'transient', kind: 'transient' },
  { id: 'after-transient', kind: 'valid' },
];
const DEAD = ['deep', 'range', 'permanent'];
const PROCESSED = ['after-deep', 'after-range', 'after-permanent', 'transient', 'after-transient'];

describe.each([MEMORY, ACTIVEMQ, RABBITMQ])('errors no retry can cure on $label', (site: Site) => {
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

  it('a too-deep output, a RangeError or a PermanentError: dead-lettered on the first delivery, none of its outputs sent, the message behind it processed; a transient error still redelivered', async () => {
    const work = queues.name('test.proof.permanent');
    const out = queues.name('test.proof.permanent.out');
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
        name: 'Fragile',
        initializing: async (ctx) => {
          await ctx.subscribe<Job>(work, async (msg) => {
            const { id, kind } = msg.message;
            attempts.set(id, (attempts.get(id) ?? 0) + 1);
            // The first delivery's: on RabbitMQ a redelivery has a new delivery tag.
            if (!messageIds.has(id)) messageIds.set(id, msg.header['message-id']);
            // Sent in the message's transaction: it must go with the failure.
            await msg.send(out, { id });
            switch (kind) {
              case 'deep':
                await msg.send(out, { id, value: nested(10_000) });
                break;
              case 'range':
                overflow(0);
                break;
              case 'permanent':
                throw new PermanentError('the image this names is corrupt (expected by the test)');
              case 'transient':
                if (attempts.get(id) === 1) throw new Error('passing fault (expected by the test)');
                break;
              case 'valid':
                break;
            }
          });
        },
      }),
      { transport, logger, hostId: uniqueName('uk.ac.diamond.proof'), commandTopic: false },
    );
    void runtime.run().catch(() => undefined);
    await until(() => runtime?.state === ServiceState.IDLE, 15_000, 'the service to start');

    for (const job of JOBS) await client.send(work, job);
    await until(
      () => dead.length >= DEAD.length && outputs.length >= PROCESSED.length,
      15_000,
      `${DEAD.length} dead letters (got ${dead.length}) and ${PROCESSED.length} outputs (got ${outputs.length})`,
    );
    await sleep(1500); // room for a redelivery that must not come

    expect(Object.fromEntries(attempts)).toEqual({
      deep: 1,
      'after-deep': 1,
      range: 1,
      'after-range': 1,
      permanent: 1,
      'after-permanent': 1,
      transient: 2,
      'after-transient': 1,
    });
    expect(dead.map((received) => (received.message as Job).id)).toEqual(DEAD);
    // A released message may come back after the one behind it (RabbitMQ): the order is not the point.
    expect(outputs.map((received) => (received.message as Job).id).sort()).toEqual([...PROCESSED].sort());
    expect(runtime.state).toBe(ServiceState.IDLE);

    // One record per dead letter, with the error's class and message and the message id.
    const said = logger.records.filter((entry) => /no retry can cure/.test(entry.msg));
    expect(said.map((entry) => entry.fields.messageId)).toEqual(DEAD.map((id) => messageIds.get(id)));
    expect(said.map((entry) => entry.fields.reason)).toEqual([
      expect.stringMatching(
        /^InvalidArgumentError: message cannot be serialised as JSON|^InvalidArgumentError: message is nested more than 512 levels deep/,
      ),
      expect.stringMatching(/^RangeError: Maximum call stack size exceeded/),
      'PermanentError: the image this names is corrupt (expected by the test)',
    ]);
    expect(said.every((entry) => entry.level === 'error' && entry.fields.err instanceof Error)).toBe(true);
    // Only the transient error released its message.
    const released = logger.records.filter((entry) => /released for redelivery/.test(entry.msg));
    expect(released.map((entry) => entry.fields.messageId)).toEqual([messageIds.get('transient')]);
  });

  it('a rejected message: the log says dead-lettered only where the broker does dead-letter it', async () => {
    const work = queues.name('test.proof.transient');
    queues.track(site.broker === 'amqp' ? `dlq.${work}` : `DLQ.${work}`);
    const client = await connect(site, opened);
    const logger = new RecordingLogger();
    const transport = await configurationOf(site).createTransport({ logger: new RecordingLogger() });
    runtime = new ServiceRuntime(
      defineService({
        name: 'Picky',
        initializing: async (ctx) => {
          await ctx.subscribe<{ id: string }>(work, (msg) => msg.reject(`not wanted: ${msg.message.id}`));
        },
      }),
      { transport, logger, hostId: uniqueName('uk.ac.diamond.proof'), commandTopic: false },
    );
    void runtime.run().catch(() => undefined);
    await until(() => runtime?.state === ServiceState.IDLE, 15_000, 'the service to start');

    await client.send(work, { id: 'persistent' });
    await client.send(work, { id: 'transient' }, { persistent: false });
    const rejected = (): string[] =>
      logger.records.filter((entry) => /^message rejected/.test(entry.msg)).map((entry) => entry.msg);
    await until(() => rejected().length === 2, 15_000, 'two rejections logged');
    // ActiveMQ drops a rejected non-persistent message unless its dead-letter strategy sets
    // processNonPersistent, which the runtime cannot see: it must not claim the message was dead-lettered.
    expect(rejected()).toEqual([
      'message rejected and dead-lettered: not wanted: persistent',
      site.broker === 'stomp'
        ? 'message rejected; ActiveMQ discards non-persistent messages instead of dead-lettering them, ' +
          'unless the dead-letter strategy of the queue sets processNonPersistent="true": not wanted: transient'
        : 'message rejected and dead-lettered: not wanted: transient',
    ]);
  });
});
