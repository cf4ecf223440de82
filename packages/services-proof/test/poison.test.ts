/**
 * A poison message among hundreds of healthy ones, as a site runs it: two competing service processes
 * with the runtime's defaults (no prefetch set), restarted whenever they die, and the site's poison
 * protection running — Schlockmeister on ActiveMQ (`JMSXDeliveryCount>5`), the delivery-limit policy
 * on RabbitMQ. Exactly the poison is quarantined, and every healthy message is processed exactly once.
 *
 * On ActiveMQ this failed while the runtime left the prefetch to the broker (1000): every crash or
 * release raised the delivery count of every message prefetched beside the poison, and about half
 * of the healthy ones were quarantined with it.
 */
import { Schlockmeister, RabbitManagement, rabbitProtect } from '@zocalo/schlockmeister';
import type { QuarantinedMessage } from '@zocalo/schlockmeister';
import { requireBroker, sleep, until } from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';
import type { Received, Site } from './helpers';
import {
  ACTIVEMQ,
  QueueNames,
  RABBITMQ,
  ServiceProcess,
  closeAll,
  collect,
  configurationOf,
  connect,
} from './helpers';

const HEALTHY = 300;
/** Where the poison sits in the queue: hundreds of healthy messages behind it. */
const POISON_AT = 20;
/** Each healthy message takes this long, so the processes always have some in hand. */
const HOLD_MS = 2;
const LIMIT = 5;

jest.setTimeout(150_000);

/** Two instances of the poisoned service, each restarted when it dies, as under a supervisor. */
class Supervisor {
  readonly done = new Map<number, number>();
  readonly poisonSeen: string[] = [];
  deaths = 0;
  private stopping = false;
  private readonly running = new Set<ServiceProcess>();

  constructor(
    private readonly site: Site,
    private readonly args: readonly string[],
  ) {}

  start(instances: number): void {
    for (let index = 0; index < instances; index += 1) this.spawn();
  }

  private spawn(): void {
    const child = new ServiceProcess(this.site, this.args, 'poison-service.ts');
    this.running.add(child);
    let seen = 0;
    const scan = setInterval(() => {
      for (; seen < child.lines.length; seen += 1) {
        const line = child.lines[seen];
        const match = /^done (\d+)$/.exec(line);
        if (match) this.done.set(Number(match[1]), (this.done.get(Number(match[1])) ?? 0) + 1);
        else if (line.startsWith('poison ')) this.poisonSeen.push(line);
      }
    }, 20);
    void child.exited.then(() => {
      clearInterval(scan);
      for (; seen < child.lines.length; seen += 1) {
        const match = /^done (\d+)$/.exec(child.lines[seen]);
        if (match) this.done.set(Number(match[1]), (this.done.get(Number(match[1])) ?? 0) + 1);
        else if (child.lines[seen].startsWith('poison ')) this.poisonSeen.push(child.lines[seen]);
      }
      this.running.delete(child);
      if (this.stopping) return;
      this.deaths += 1;
      this.spawn();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const child of [...this.running]) {
      child.kill('SIGTERM');
      await Promise.race([child.exited, sleep(10_000)]);
      await child.stop();
    }
  }
}

describe.each([ACTIVEMQ, RABBITMQ])('a poison message among healthy ones on $label', (site: Site) => {
  const opened: Transport[] = [];
  const queues = new QueueNames(site);
  const supervisors: Supervisor[] = [];
  const schlockmeisters: Schlockmeister[] = [];
  const management = new RabbitManagement();

  beforeAll(() => requireBroker(site.broker!));
  afterEach(async () => {
    for (const supervisor of supervisors.splice(0)) await supervisor.stop();
    for (const schlockmeister of schlockmeisters.splice(0)) await schlockmeister.stop();
    await closeAll(opened);
    await queues.remove();
  });

  /** The site's poison protection for `queue`; returns what it quarantined. */
  async function protect(queue: string): Promise<() => Promise<unknown[]>> {
    if (site.broker === 'stomp') {
      const caught: QuarantinedMessage[] = [];
      const transport = await configurationOf(site).createTransport({ logger: new RecordingLogger() });
      opened.push(transport);
      const schlockmeister = new Schlockmeister({
        transport,
        limit: LIMIT,
        queues: [queue],
        discover: false,
        logger: new RecordingLogger(),
        onQuarantine: (message) => caught.push(message),
      });
      await schlockmeister.start();
      schlockmeisters.push(schlockmeister);
      return async () => caught.map((message) => JSON.parse(message.body.toString('utf8')) as unknown);
    }
    // RabbitMQ: the quorum queue as python-zocalo's configure_rabbitmq declares it (the transport's own
    // declaration carries a delivery limit of 20 already); the policy gives it a limit into dlq.<queue>.
    await management.request('PUT', management.path('queues', queue), {
      durable: true,
      auto_delete: false,
      arguments: { 'x-queue-type': 'quorum' },
    });
    queues.track(`dlq.${queue}`);
    const reports = await rabbitProtect(management, { include: [queue], limit: LIMIT });
    expect(reports).toEqual([expect.objectContaining({ queue, status: 'created' })]);
    await sleep(1000); // the policy reaches the queue asynchronously
    return async () => {
      const got = (await management.request('POST', `${management.path('queues', `dlq.${queue}`)}/get`, {
        count: 100,
        ackmode: 'ack_requeue_true',
        encoding: 'auto',
      })) as Array<{ payload: string }>;
      return got.map((message) => JSON.parse(message.payload) as unknown);
    };
  }

  it.each([
    { mode: 'crash', dies: 'dies (SIGKILL)' },
    { mode: 'throw', dies: 'throws' },
  ])(
    'a service that $dies on the poison: exactly the poison is quarantined, every healthy message is processed once',
    async ({ mode }) => {
      const inQueue = queues.name(`test.proof.poison.${mode}.in`);
      const outQueue = queues.name(`test.proof.poison.${mode}.out`);
      const quarantined = await protect(inQueue);
      const client = await connect(site, opened);
      const outputs: Received[] = await collect(client, outQueue);
      await client.unsubscribe(await client.subscribe(inQueue, () => undefined, { acknowledgement: true }));

      for (let n = 0; n < HEALTHY; n += 1) {
        if (n === POISON_AT) await client.send(inQueue, { poison: true });
        await client.send(inQueue, { n });
      }
      const supervisor = new Supervisor(site, [inQueue, outQueue, mode, String(HOLD_MS)]);
      supervisors.push(supervisor);
      supervisor.start(2);

      let dead: unknown[] = [];
      await until(
        () => outputs.length >= HEALTHY,
        Number(process.env.POISON_WAIT ?? 120_000),
        `${HEALTHY} outputs (got ${outputs.length}, ${supervisor.deaths} restarts)`,
      );
      const deadline = Date.now() + 60_000;
      while (dead.length === 0 && Date.now() < deadline) {
        await sleep(500);
        dead = await quarantined();
      }
      await sleep(1500);
      dead = await quarantined();

      const counts = [...supervisor.done.values()];
      const outputCounts = new Map<number, number>();
      for (const output of outputs) {
        const n = (output.message as { n: number }).n;
        outputCounts.set(n, (outputCounts.get(n) ?? 0) + 1);
      }
      process.stdout.write(
        `${site.label} ${mode}: poison delivered ${supervisor.poisonSeen.length} times before quarantine, ` +
          `${supervisor.deaths} process deaths, quarantined ${dead.length} (poison sent: 1), ` +
          `healthy processed ${supervisor.done.size}/${HEALTHY}, outputs ${outputs.length}\n`,
      );
      expect(dead).toEqual([{ poison: true }]);
      expect(supervisor.done.size).toBe(HEALTHY);
      expect(counts.every((count) => count === 1)).toBe(true);
      expect(outputCounts.size).toBe(HEALTHY);
      expect([...outputCounts.values()].every((count) => count === 1)).toBe(true);
      // RabbitMQ counts deliveries exactly (limit 5: the sixth is refused). ActiveMQ with
      // persistJMSRedelivered counts each dispatch in its store ahead of it, so JMSXDeliveryCount>5
      // matches after four deliveries.
      expect(supervisor.poisonSeen.length).toBeGreaterThanOrEqual(
        site.broker === 'stomp' ? LIMIT - 1 : LIMIT,
      );
      if (mode === 'crash') expect(supervisor.deaths).toBe(supervisor.poisonSeen.length);
    },
  );
});
