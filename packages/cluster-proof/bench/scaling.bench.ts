/**
 * The scaling curve of issue #20: one queue, 1, 2, 4 and 8 competing consumer processes with 1 ms of
 * simulated work per message, on the single brokers (scripts/brokers.sh) and the clusters
 * (scripts/cluster.sh) that answer: messages/s and efficiency against linear (N × the 1-consumer rate).
 * `pnpm bench` (or `pnpm --filter @zocalo/cluster-proof bench`) prints the table; docs/scaling.md has it.
 * ZOCALO_BENCH_MESSAGES (default 2000), ZOCALO_BENCH_PREFETCH (default 10), ZOCALO_BENCH_CONSUMERS
 * (default 1,2,4,8).
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { AmqpTransport } from '@zocalo/transport-amqp';
import { StompTransport } from '@zocalo/transport-stomp';
import type { Transport } from '@zocalo/workflows';

const CONSUMER = fileURLToPath(new URL('./consumer.ts', import.meta.url));
const MESSAGES = Number(process.env.ZOCALO_BENCH_MESSAGES ?? 2000);
const PREFETCH = Number(process.env.ZOCALO_BENCH_PREFETCH ?? 10);
const COUNTS = (process.env.ZOCALO_BENCH_CONSUMERS ?? '1,2,4,8').split(',').map(Number);

interface Broker {
  readonly name: string;
  readonly kind: 'amqp' | 'stomp';
  readonly settings: Record<string, string | number>;
  /** Ports of which one answers when the broker runs (a pair's master may be either). */
  readonly probe: readonly number[];
  /** RabbitMQ's management API, to delete the benchmark's queues. */
  readonly management?: number;
}

const BROKERS: readonly Broker[] = [
  {
    name: 'RabbitMQ single node',
    kind: 'amqp',
    probe: [5672],
    management: 15672,
    settings: { host: '127.0.0.1', port: 5672 },
  },
  {
    name: 'RabbitMQ 3-node cluster',
    kind: 'amqp',
    probe: [5701],
    management: 15701,
    settings: { host: '127.0.0.1,127.0.0.1,127.0.0.1', port: '5701,5702,5703' },
  },
  {
    name: 'ActiveMQ single',
    kind: 'stomp',
    probe: [61613],
    settings: { host: '127.0.0.1', port: 61613, username: 'admin', password: 'password' },
  },
  {
    name: 'ActiveMQ pair (master)',
    kind: 'stomp',
    probe: [61701, 61702],
    settings: { host: '127.0.0.1,127.0.0.1', port: '61701,61702', username: 'admin', password: 'password' },
  },
];

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function makeTransport(broker: Broker): Transport {
  return broker.kind === 'amqp' ? new AmqpTransport(broker.settings) : new StompTransport(broker.settings);
}

/** Messages/s of `consumers` processes draining MESSAGES preloaded messages. */
async function measure(broker: Broker, consumers: number, prefetch: number): Promise<number> {
  const queue = `cluster-proof.bench.${randomBytes(4).toString('hex')}`;
  const producer = makeTransport(broker);
  await producer.connect();
  // A subscription declares the queue (quorum on RabbitMQ), then leaves it to the workers.
  const declare = await producer.subscribe(queue, () => undefined, { acknowledgement: true, prefetch: 1 });
  await producer.unsubscribe(declare);
  await Promise.all(Array.from({ length: MESSAGES }, (_, i) => producer.send(queue, { i })));
  const children = Array.from({ length: consumers }, () =>
    fork(CONSUMER, [broker.kind, JSON.stringify(broker.settings), queue, String(prefetch)], {
      execArgv: ['--import', 'tsx', '--conditions=@zocalo/source'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.on('message', (message) => {
            if (message === 'ready') resolve();
            else if (++received >= MESSAGES) done();
          });
          child.once('exit', (code) => reject(new Error(`a consumer exited with ${code}`)));
        }),
    ),
  );
  const t0 = performance.now();
  for (const child of children) child.send('go');
  await finished;
  const rate = MESSAGES / ((performance.now() - t0) / 1000);
  for (const child of children) child.send('stop');
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  await producer.disconnect();
  if (broker.management !== undefined) await deleteQueue(broker.management, queue);
  return rate;
}

async function deleteQueue(port: number, queue: string): Promise<void> {
  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
  for (const name of [queue, `dlq.${queue}`]) {
    await fetch(`http://127.0.0.1:${port}/api/queues/%2F/${encodeURIComponent(name)}`, {
      method: 'DELETE',
      headers: { authorization: auth },
    }).catch(() => undefined);
  }
}

const FANOUT_MESSAGES = Number(process.env.ZOCALO_BENCH_FANOUT_MESSAGES ?? 2000);
const FANOUT_COUNTS = [1, 4, 16];

/** Broadcasts/s that every one of `subscribers` topic subscribers (one connection each) received. */
async function fanOut(broker: Broker, subscribers: number): Promise<number> {
  const topic = `cluster-proof.bench.fanout.${randomBytes(4).toString('hex')}`;
  const publisher = makeTransport(broker);
  const listeners = Array.from({ length: subscribers }, () => makeTransport(broker));
  await Promise.all([publisher, ...listeners].map((transport) => transport.connect()));
  let received = 0;
  const total = FANOUT_MESSAGES * subscribers;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await Promise.all(
    listeners.map((listener) =>
      listener.subscribeBroadcast(topic, () => {
        if (++received >= total) done();
      }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 500)); // bindings in place on every node
  const t0 = performance.now();
  await Promise.all(Array.from({ length: FANOUT_MESSAGES }, (_, i) => publisher.broadcast(topic, { i })));
  // Broadcasts are not persistent and a slow subscriber may be dropped from: wait at most 30 s.
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  const rate = FANOUT_MESSAGES / ((performance.now() - t0) / 1000);
  const complete = received >= total;
  await Promise.all([publisher, ...listeners].map((transport) => transport.disconnect()));
  return complete ? rate : -received;
}

async function main(): Promise<void> {
  console.log(
    `Scaling: ${MESSAGES} messages per run, 1 ms of simulated work each, prefetch ${PREFETCH}; ` +
      `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  console.log(`| broker | ${COUNTS.map((n) => `${n} consumer${n > 1 ? 's' : ''}`).join(' | ')} |`);
  console.log(`| --- | ${COUNTS.map(() => '---').join(' | ')} |`);
  for (const broker of process.env.ZOCALO_BENCH_SKIP_QUEUE ? [] : BROKERS) {
    if (!(await Promise.all(broker.probe.map(answers))).includes(true)) {
      console.log(`| ${broker.name} | not running (port ${broker.probe.join('/')}) |`);
      continue;
    }
    const cells: string[] = [];
    let single = 0;
    for (const n of COUNTS) {
      const rate = await measure(broker, n, PREFETCH);
      if (n === 1) single = rate;
      const efficiency = single > 0 ? ` (${Math.round((100 * rate) / (n * single))} %)` : '';
      cells.push(`${Math.round(rate)} msg/s${efficiency}`);
    }
    console.log(`| ${broker.name} | ${cells.join(' | ')} |`);
  }
  console.log(
    `\nFan-out: ${FANOUT_MESSAGES} broadcasts to N subscribers (one connection each), broadcasts/s all received`,
  );
  console.log(`| broker | ${FANOUT_COUNTS.map((n) => `${n} subscriber${n > 1 ? 's' : ''}`).join(' | ')} |`);
  console.log(`| --- | ${FANOUT_COUNTS.map(() => '---').join(' | ')} |`);
  for (const broker of BROKERS) {
    if (!(await Promise.all(broker.probe.map(answers))).includes(true)) continue;
    const cells: string[] = [];
    for (const n of FANOUT_COUNTS) {
      const rate = await fanOut(broker, n);
      cells.push(
        rate >= 0
          ? `${Math.round(rate)}/s (${Math.round(rate * n)} deliveries/s)`
          : `incomplete: ${-rate} of ${FANOUT_MESSAGES * n}`,
      );
    }
    console.log(`| ${broker.name} | ${cells.join(' | ')} |`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
