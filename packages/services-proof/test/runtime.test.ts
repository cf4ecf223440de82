/**
 * The service runtime on memory, ActiveMQ and RabbitMQ, each transport made from a site
 * configuration file alone: a handler that throws gets its message nacked (released, redelivered)
 * and the error logged with the recipe ID; a message that keeps failing is redelivered with a growing
 * back-off, not in a tight loop; status broadcasts carry every field of the spec and a 15 s expiry.
 */
import type { ConsumeMessage } from 'amqplib';
import { connect as amqpConnect } from 'amqplib';
import { BROKERS, requireBroker, sleep, uniqueName, until } from '@zocalo/test-brokers';
import type {
  ReceivedHeaders,
  ServiceRuntimeOptions,
  ServiceStateValue,
  StatusMessage,
  Transport,
} from '@zocalo/workflows';
import {
  DestinationNotFoundError,
  RecordingLogger,
  STATUS_TOPIC,
  Service,
  ServiceRuntime,
  ServiceState,
  WORKFLOWS_VERSION,
  defineService,
  stateText,
} from '@zocalo/workflows';
import type { Received, Site } from './helpers';
import {
  ACTIVEMQ,
  MEMORY,
  RABBITMQ,
  QueueNames,
  closeAll,
  collect,
  configurationOf,
  connect,
} from './helpers';

const envelope = (id: string, payload: unknown) => ({
  recipe: { 1: { service: 'Flaky', queue: 'work' } },
  'recipe-pointer': 1,
  environment: { ID: id },
  payload,
});

describe.each([MEMORY, ACTIVEMQ, RABBITMQ])('the service runtime on $label', (site: Site) => {
  const opened: Transport[] = [];
  const runtimes: ServiceRuntime[] = [];
  const queues = new QueueNames(site);
  /** Other connections to close after the test (the raw amqplib one). */
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    if (site.broker) await requireBroker(site.broker);
  });
  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) {
      runtime.stop();
      await runtime.run().catch(() => undefined);
    }
    await closeAll(opened);
    for (const close of closers.splice(0)) await close().catch(() => undefined);
    await queues.remove();
  });

  /** A runtime on a new transport made from the site configuration; started and IDLE. */
  async function started(
    service: ConstructorParameters<typeof ServiceRuntime>[0],
    logger: RecordingLogger,
    options: Partial<ServiceRuntimeOptions> = {},
  ): Promise<ServiceRuntime> {
    const transport = await configurationOf(site).createTransport({ logger: new RecordingLogger() });
    const runtime = new ServiceRuntime(service, {
      transport,
      logger,
      hostId: uniqueName('uk.ac.diamond.proof'),
      commandTopic: false,
      ...options,
    });
    runtimes.push(runtime);
    const running = runtime.run();
    running.catch(() => undefined);
    await until(
      () => runtime.state === ServiceState.IDLE || runtime.state === ServiceState.ERROR,
      15_000,
      'IDLE',
    );
    expect(runtime.state).toBe(ServiceState.IDLE);
    return runtime;
  }

  it('a handler that throws: no output, error logged with the recipe ID, message nacked and redelivered', async () => {
    const work = queues.name('test.proof.flaky');
    const out = queues.name('test.proof.flaky.out');
    const client = await connect(site, opened);
    const outputs: Received[] = await collect(client, out);
    const attempts: ReceivedHeaders[] = [];
    const logger = new RecordingLogger();
    const runtime = await started(
      defineService({
        name: 'Flaky',
        initializing: async (ctx) => {
          await ctx.subscribe(work, async (msg) => {
            attempts.push(msg.header);
            await msg.send(out, { attempt: attempts.length });
            if (attempts.length === 1) throw new Error('passing fault');
          });
        },
      }),
      logger,
    );
    await client.send(work, envelope('b7d4-recipe', { frame: 1 }));
    await until(() => outputs.length >= 1, 15_000, 'the output of the second attempt');
    const left: Received[] = await collect(client, work);
    await sleep(500);

    expect(attempts.map((header) => header.redelivered)).toEqual([false, true]);
    // The first attempt's output went with its aborted transaction.
    expect(outputs.map((output) => output.message)).toEqual([{ attempt: 2 }]);
    expect(left).toEqual([]);
    const failures = logger.at('error');
    expect(failures).toHaveLength(1);
    expect(failures[0].msg).toBe(
      'message handler failed; transaction aborted, message released for redelivery',
    );
    expect(failures[0].fields).toMatchObject({
      recipe_ID: 'b7d4-recipe',
      service: 'Flaky',
      host: runtime.hostId,
      destination: work,
    });
    expect((failures[0].fields.err as Error).message).toBe('passing fault');
  });

  it('a message that keeps failing is redelivered after 0.1, 0.2, 0.4, 0.8 s, not in a tight loop', async () => {
    const work = queues.name('test.proof.backoff');
    // On RabbitMQ the failure is the one seen in production: the step's next queue does not exist,
    // so the send fails. ActiveMQ and memory create queues on demand: there the handler throws.
    const missing = queues.name('test.proof.backoff.missing');
    const failWithSend = site === RABBITMQ;
    queues.track(`${work}.spin`);
    queues.track(`${work}.backoff`);
    const attemptTimes: number[] = [];
    const logger = new RecordingLogger();
    const failing = (name: string) =>
      defineService({
        name,
        initializing: async (ctx) => {
          await ctx.subscribe(`${work}.${name}`, async (msg) => {
            attemptTimes.push(Date.now());
            if (failWithSend) await msg.send(missing, { never: 'delivered' });
            else throw new Error('dependency down');
          });
        },
      });
    const client = await connect(site, opened);

    // Without the back-off, to show what it prevents: on a broker the message comes straight back
    // (memory's delivery limit dead-letters it after 6 attempts at once, so there is nothing to see).
    let spun = Number.POSITIVE_INFINITY;
    if (site.broker) {
      const spinning = await started(failing('spin'), new RecordingLogger(), { redeliveryBackoff: false });
      await client.send(`${work}.spin`, { n: 1 });
      await until(() => attemptTimes.length >= 1, 15_000, 'the first attempt');
      await sleep(1500);
      spun = attemptTimes.length;
      spinning.stop();
      await spinning.run();
      attemptTimes.length = 0;
    }

    await started(failing('backoff'), logger);
    await client.send(`${work}.backoff`, { n: 1 });
    await until(() => attemptTimes.length >= 1, 15_000, 'the first attempt');
    await sleep(1500);
    const gaps = attemptTimes.slice(1).map((time, index) => time - attemptTimes[index]);

    // 0.1 + 0.2 + 0.4 + 0.8 s: the 5th attempt comes after 1.5 s at the earliest.
    expect(attemptTimes.length).toBeGreaterThanOrEqual(3);
    expect(attemptTimes.length).toBeLessThanOrEqual(5);
    gaps.forEach((gap, index) => expect(gap).toBeGreaterThanOrEqual(100 * 2 ** index - 10));
    // Seen here: ~1200 attempts in 1.5 s on RabbitMQ, ~30 on ActiveMQ (its release reopens the subscription).
    expect(spun).toBeGreaterThan(2 * attemptTimes.length);
    const failures = logger.records.filter((entry) => entry.msg.startsWith('message handler failed'));
    expect(failures.slice(0, 3).map((entry) => entry.fields.redeliveryDelay)).toEqual([0.1, 0.2, 0.4]);
    if (failWithSend) {
      expect(failures[0].fields.err).toBeInstanceOf(DestinationNotFoundError);
      expect((failures[0].fields.err as Error).message).toContain(`no queue "${missing}"`);
    }
  });

  // ActiveMQ refused a NACK inside the runtime's transaction and then the COMMIT: the message came
  // back and was rejected again, about ten times a second, logged as dead-lettered each time.
  it.each([
    { transaction: true, how: 'inside the message’s transaction (the default)' },
    { transaction: false, how: 'without a transaction' },
  ])('reject() $how dead-letters the message once, and says so once it has', async ({ transaction }) => {
    const work = queues.name('test.proof.reject');
    const out = queues.name('test.proof.reject.out');
    const dlq = queues.track(site.broker === 'amqp' ? `dlq.${work}` : `DLQ.${work}`);
    const client = await connect(site, opened);
    const outputs: Received[] = await collect(client, out);
    let attempts = 0;
    const logger = new RecordingLogger();
    await started(
      defineService({
        name: 'Rejecting',
        initializing: async (ctx) => {
          await ctx.subscribe(
            work,
            async (msg) => {
              attempts++;
              await msg.send(out, { note: 'sent before the reject' });
              await msg.reject('cannot be processed (expected by the test)');
            },
            { transaction },
          );
        },
      }),
      logger,
    );
    await client.send(work, { reject: 'me' });
    const dead: Received[] = await collect(client, dlq);
    await until(() => dead.length >= 1 && outputs.length >= 1, 15_000, 'the dead-lettered message');
    await sleep(1500);
    expect(attempts).toBe(1);
    expect(dead.map((received) => received.message)).toEqual([{ reject: 'me' }]);
    expect(outputs.map((received) => received.message)).toEqual([{ note: 'sent before the reject' }]);
    const said = logger.messages('warn').filter((message) => /rejected and dead-lettered/.test(message));
    expect(said).toEqual(['message rejected and dead-lettered: cannot be processed (expected by the test)']);
    expect(logger.messages('error')).toEqual([]);
  });

  it('status broadcasts carry every field of the spec and expire after 15 s', async () => {
    const hostId = uniqueName('uk.ac.diamond.status');
    const work = queues.name('test.proof.status');
    const client = await connect(site, opened);
    const statuses: Array<{ status: StatusMessage; expiresIn: number }> = [];
    const keep = (message: unknown, expiresIn: number): void => {
      const status = message as StatusMessage;
      if (status?.host === hostId) statuses.push({ status, expiresIn });
    };
    let expirations: string[] | undefined;
    if (site === RABBITMQ) {
      // The AMQP expiration property is not a header a subscriber sees: read it with amqplib itself.
      expirations = await rawStatusExpirations(client, hostId, closers);
    }
    await client.subscribeBroadcast(STATUS_TOPIC, (header, message) =>
      keep(message, Number(header.expires ?? Number.NaN) - Date.now()),
    );

    class StatusProbe extends Service {
      readonly name = 'Status probe';
      override async initializing(ctx: Parameters<Service['initializing']>[0]): Promise<void> {
        await ctx.subscribe(work, () => sleep(100));
      }
    }
    const runtime = await started(new StatusProbe(), new RecordingLogger(), {
      hostId,
      idleDelay: 0.2,
      // No periodic repeat within the test, even on a slow machine: only the changes are expected.
      statusInterval: 60,
    });
    await until(() => statuses.at(-1)?.status.status === ServiceState.IDLE, 15_000, 'IDLE');
    await client.send(work, { n: 1 });
    await until(
      () => statuses.some(({ status }) => status.status === ServiceState.PROCESSING),
      15_000,
      'PROCESSING',
    );
    await until(() => statuses.at(-1)?.status.status === ServiceState.IDLE, 15_000, 'IDLE again');
    runtime.stop();
    await runtime.run();
    await until(() => statuses.at(-1)?.status.status === ServiceState.END, 15_000, 'END');

    const states = statuses.map(({ status }) => status.status);
    expect(states).toEqual([
      ServiceState.STARTING,
      ServiceState.IDLE,
      ServiceState.PROCESSING,
      ServiceState.IDLE,
      ServiceState.SHUTDOWN,
      ServiceState.END,
    ]);
    for (const { status, expiresIn } of statuses) {
      expect(Object.keys(status).sort()).toEqual(
        ['host', 'service', 'serviceclass', 'status', 'statustext', 'utilization', 'workflows'].sort(),
      );
      expect(status).toMatchObject({
        host: hostId,
        workflows: WORKFLOWS_VERSION,
        statustext: stateText(status.status as ServiceStateValue),
        service: 'Status probe',
        serviceclass: 'StatusProbe',
      });
      const fractions = Object.entries(status.utilization ?? {});
      expect(fractions.length).toBeGreaterThan(0);
      for (const [state, fraction] of fractions) {
        expect(Object.values(ServiceState)).toContain(Number(state));
        expect(fraction).toBeGreaterThanOrEqual(0);
        expect(fraction).toBeLessThanOrEqual(1);
      }
      const total = fractions.reduce((sum, [, fraction]) => sum + fraction, 0);
      expect(Math.abs(total - 1)).toBeLessThan(0.001);
      if (expirations === undefined) {
        // memory and STOMP hand the subscriber the expiry time (`expires`, ms since the epoch).
        expect(expiresIn).toBeGreaterThan(13_000);
        expect(expiresIn).toBeLessThanOrEqual(15_000);
      }
    }
    if (expirations !== undefined) {
      await until(
        () => expirations!.length === statuses.length,
        15_000,
        'every status on the raw AMQP consumer',
      );
      expect(expirations).toEqual(statuses.map(() => '15000'));
    }
  });
});

/**
 * The `expiration` property of every status from `hostId`, read by amqplib from a queue bound to the
 * `transient.status` exchange (which `client` declares by subscribing to it first).
 */
async function rawStatusExpirations(
  client: Transport,
  hostId: string,
  closers: Array<() => Promise<void>>,
): Promise<string[]> {
  await client.subscribeBroadcast(STATUS_TOPIC, () => undefined);
  const connection = await amqpConnect(BROKERS.amqp.url);
  closers.push(() => connection.close());
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, STATUS_TOPIC, '');
  const expirations: string[] = [];
  await channel.consume(
    queue,
    (message: ConsumeMessage | null) => {
      if (message === null) return;
      // Other tests' services broadcast here too: only ours counts, and nothing foreign may throw.
      let status: StatusMessage | undefined;
      try {
        status = JSON.parse(message.content.toString('utf8')) as StatusMessage;
      } catch {
        return;
      }
      if (status?.host === hostId) expirations.push(String(message.properties.expiration));
    },
    { noAck: true },
  );
  return expirations;
}
