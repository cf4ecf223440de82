/**
 * Benchmark: @zocalo/transport-amqp against raw amqplib, on the same broker, in the same run.
 *
 * Both sides use the same guarantees and settings: ~200-byte JSON bodies (serialised and parsed on
 * each side), persistent messages, publisher confirms with `mandatory`, manual acks, the same prefetch,
 * the same durable quorum queues, and many sends in flight (a window, as a busy service would have).
 * Each measurement runs raw and transport back to back (alternating which goes first), for several
 * rounds; recipe hops alternate one by one between the two sides. The table shows medians, and the
 * median over rounds of the ratio of each pair.
 *
 *   pnpm --filter @zocalo/transport-amqp bench
 *   env: BENCH_MESSAGES (10000), BENCH_ROUNDS (5), BENCH_HOPS (300), BENCH_NODELAY (1; 0 = Nagle), AMQP_URL
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { connect } from 'amqplib';
import type { Logger, ReceivedHeaders } from '@zocalo/workflows';
import { AmqpTransport } from '../src';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const HOST = new globalThis.URL(URL).hostname;
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HOPS = Number(process.env.BENCH_HOPS ?? 300);
/** TCP_NODELAY on both sides (the transport's default; amqplib's own default is false). */
const NO_DELAY = process.env.BENCH_NODELAY !== '0';
/** Sends in flight at once. */
const WINDOW = 1000;
/** Prefetch of every consumer. */
const PREFETCH = 100;

/** ~200 bytes of JSON, shaped like a recipe message. */
function body(n: number): Record<string, unknown> {
  return {
    recipe: { '1': { service: 'bench', queue: 'bench.step' } },
    'recipe-pointer': 1,
    'recipe-path': [],
    environment: { ID: '5f3c9a4e-0d1b-4c8e-9a57-2b7e51c0d9aa' },
    payload: { n, file: '/dls/i03/data/2024/cm1234-5/image_00001.cbf' },
  };
}

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

function queueName(what: string): string {
  return `zocalo.bench.${what}.${randomUUID().slice(0, 8)}`;
}

/** The queue both sides use: what python-zocalo's configure_rabbitmq (and this transport) declares. */
async function declareQueue(admin: Channel, name: string): Promise<void> {
  await admin.assertQueue(name, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': `dlq.${name}`,
      'x-single-active-consumer': false,
    },
  });
}

/** Run `send(i)` for i < count with at most `window` unsettled at once; resolves when all settled. */
function pump(count: number, window: number, send: (i: number) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let settled = 0;
    const launch = (): void => {
      while (next < count && next - settled < window) {
        send(next++).then(() => {
          settled++;
          if (settled === count) resolve();
          else launch();
        }, reject);
      }
    };
    if (count === 0) resolve();
    else launch();
  });
}

function rawPublish(channel: ConfirmChannel, queue: string, message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(
      '',
      queue,
      Buffer.from(JSON.stringify(message)),
      { deliveryMode: 2, mandatory: true },
      (error: unknown) => (error ? reject(error as Error) : resolve()),
    );
  });
}

/** A recipe hop, ready to run: one message through a service and back, one at a time. */
interface HopRig {
  /** Send one request, wait for its reply; the latency in ms. */
  hop(i: number): Promise<number>;
  close(): Promise<void>;
}

interface Side {
  publish(queue: string, count: number): Promise<void>;
  consume(queue: string, count: number): Promise<void>;
  pipeline(queue: string, count: number): Promise<void>;
  /** Set up a service on `request` that answers on `reply`, and a client; see {@link HopRig}. */
  hops(request: string, reply: string): Promise<HopRig>;
  close(): Promise<void>;
}

async function rawSide(): Promise<Side> {
  const producer = await connect(URL, { noDelay: NO_DELAY });
  const consumer = await connect(URL, { noDelay: NO_DELAY });
  const publisher = await producer.createConfirmChannel();

  async function consumeCount(queue: string, count: number, onFirst?: () => void): Promise<void> {
    const channel = await consumer.createChannel();
    await channel.prefetch(PREFETCH);
    let seen = 0;
    await new Promise<void>((resolve) => {
      void channel.consume(
        queue,
        (message: ConsumeMessage | null) => {
          if (!message) return;
          JSON.parse(message.content.toString('utf8'));
          channel.ack(message);
          if (++seen === 1) onFirst?.();
          if (seen === count) resolve();
        },
        { noAck: false },
      );
    });
    await channel.close();
  }

  return {
    publish: (queue, count) => pump(count, WINDOW, (i) => rawPublish(publisher, queue, body(i))),
    consume: (queue, count) => consumeCount(queue, count),
    async pipeline(queue, count) {
      const consuming = consumeCount(queue, count);
      await pump(count, WINDOW, (i) => rawPublish(publisher, queue, body(i)));
      await consuming;
    },
    async hops(request, reply) {
      // The service: consume a request, send the reply (confirmed), then ack the request.
      const service = await consumer.createChannel();
      const serviceOut = await producer.createConfirmChannel();
      await service.prefetch(PREFETCH);
      let open = true;
      await service.consume(request, (message) => {
        if (!message) return;
        const parsed = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
        // The client may have its reply (and close the rig) before this confirm arrives.
        void rawPublish(serviceOut, reply, parsed).then(() => open && service.ack(message));
      });
      // The client: send a request, wait for the reply.
      const client = await consumer.createChannel();
      await client.prefetch(PREFETCH);
      let waiting: (() => void) | undefined;
      await client.consume(reply, (message) => {
        if (!message) return;
        JSON.parse(message.content.toString('utf8'));
        client.ack(message);
        waiting?.();
      });
      return {
        async hop(i) {
          const start = process.hrtime.bigint();
          const arrived = new Promise<void>((resolve) => (waiting = resolve));
          await rawPublish(publisher, request, body(i));
          await arrived;
          return Number(process.hrtime.bigint() - start) / 1e6;
        },
        async close() {
          open = false;
          await client.close();
          await service.close();
          await serviceOut.close();
        },
      };
    },
    async close() {
      await producer.close();
      await consumer.close();
    },
  };
}

async function transportSide(): Promise<Side> {
  const open = async (): Promise<AmqpTransport> => {
    const transport = new AmqpTransport({ host: HOST, logger: silent, noDelay: NO_DELAY });
    await transport.connect();
    return transport;
  };
  const producer = await open();
  const consumer = await open();

  async function consumeCount(queue: string, count: number): Promise<void> {
    let seen = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const id = await consumer.subscribe(
      queue,
      (header: ReceivedHeaders) => {
        void consumer.ack(header);
        if (++seen === count) done();
      },
      { acknowledgement: true, prefetch: PREFETCH },
    );
    await finished;
    await consumer.unsubscribe(id);
  }

  return {
    publish: (queue, count) => pump(count, WINDOW, (i) => producer.send(queue, body(i))),
    consume: (queue, count) => consumeCount(queue, count),
    async pipeline(queue, count) {
      const consuming = consumeCount(queue, count);
      await pump(count, WINDOW, (i) => producer.send(queue, body(i)));
      await consuming;
    },
    async hops(request, reply) {
      const service = await open();
      const serviceId = await service.subscribe(
        request,
        async (header, message) => {
          await service.send(reply, message);
          await service.ack(header);
        },
        { acknowledgement: true, prefetch: PREFETCH },
      );
      let waiting: (() => void) | undefined;
      const clientId = await consumer.subscribe(
        reply,
        (header) => {
          void consumer.ack(header);
          waiting?.();
        },
        { acknowledgement: true, prefetch: PREFETCH },
      );
      return {
        async hop(i) {
          const start = process.hrtime.bigint();
          const arrived = new Promise<void>((resolve) => (waiting = resolve));
          await producer.send(request, body(i));
          await arrived;
          return Number(process.hrtime.bigint() - start) / 1e6;
        },
        async close() {
          await consumer.unsubscribe(clientId);
          await service.unsubscribe(serviceId);
          await service.disconnect();
        },
      };
    },
    async close() {
      await producer.disconnect();
      await consumer.disconnect();
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** Client CPU (user + system) per message of each measurement, in µs: the transport's own cost. */
const cpu: Record<'publish' | 'consume' | 'pipeline', Record<'raw' | 'ours', number[]>> = {
  publish: { raw: [], ours: [] },
  consume: { raw: [], ours: [] },
  pipeline: { raw: [], ours: [] },
};

/** Run one measurement; records its client CPU per message and returns messages per second. */
async function measure(
  metric: 'publish' | 'consume' | 'pipeline',
  side: 'raw' | 'ours',
  run: () => Promise<void>,
): Promise<number> {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  await run();
  const used = process.cpuUsage(cpuStart);
  cpu[metric][side].push((used.user + used.system) / MESSAGES);
  return MESSAGES / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main(): Promise<void> {
  const admin = await connect(URL);
  const adminChannel = await admin.createChannel();
  const raw = await rawSide();
  const ours = await transportSide();
  const sides = { raw, ours } as const;
  const rates: Record<'publish' | 'consume' | 'pipeline', Record<'raw' | 'ours', number[]>> = {
    publish: { raw: [], ours: [] },
    consume: { raw: [], ours: [] },
    pipeline: { raw: [], ours: [] },
  };
  const latency: Record<'raw' | 'ours', number[]> = { raw: [], ours: [] };
  const used: string[] = [];
  const fresh = async (what: string): Promise<string> => {
    const name = queueName(what);
    used.push(name);
    await declareQueue(adminChannel, name);
    return name;
  };

  console.log(
    `amqp bench: ${MESSAGES} messages of ~${JSON.stringify(body(MESSAGES)).length} bytes, ${ROUNDS} rounds, ` +
      `window ${WINDOW}, prefetch ${PREFETCH}, TCP_NODELAY ${NO_DELAY ? 'on' : 'off'}, quorum queues, ` +
      'persistent, confirmed (mandatory), manual acks',
  );
  const ratios: Record<'publish' | 'consume' | 'pipeline' | 'hop', number[]> = {
    publish: [],
    consume: [],
    pipeline: [],
    hop: [],
  };
  for (let round = 1; round <= ROUNDS; round++) {
    // Each measurement runs raw and transport back to back, alternating which goes first, so that
    // both meet the same broker state and machine load; the ratio of each pair is kept.
    const order: Array<'raw' | 'ours'> = round % 2 === 1 ? ['raw', 'ours'] : ['ours', 'raw'];
    const queues: Record<'raw' | 'ours', string> = { raw: '', ours: '' };
    for (const name of order) {
      queues[name] = await fresh('publish');
      rates.publish[name].push(
        await measure('publish', name, () => sides[name].publish(queues[name], MESSAGES)),
      );
    }
    for (const name of order) {
      // consume+ack: the queue the publish run filled.
      rates.consume[name].push(
        await measure('consume', name, () => sides[name].consume(queues[name], MESSAGES)),
      );
    }
    for (const name of order) {
      const queue = await fresh('pipeline');
      rates.pipeline[name].push(await measure('pipeline', name, () => sides[name].pipeline(queue, MESSAGES)));
    }
    // Hops alternate between the two sides, one at a time, so that both see the same moments of the
    // machine's load (a latency is far more sensitive to it than a rate).
    const rigs: Record<'raw' | 'ours', HopRig> = {
      raw: await sides.raw.hops(await fresh('request'), await fresh('reply')),
      ours: await sides.ours.hops(await fresh('request'), await fresh('reply')),
    };
    const samples: Record<'raw' | 'ours', number[]> = { raw: [], ours: [] };
    for (let i = 0; i < HOPS; i++) {
      for (const name of order) samples[name].push(await rigs[name].hop(i));
    }
    const hop: Record<'raw' | 'ours', number> = { raw: 0, ours: 0 };
    for (const name of order) {
      await rigs[name].close();
      latency[name].push(...samples[name]);
      hop[name] = median(samples[name]);
    }
    for (const metric of ['publish', 'consume', 'pipeline'] as const) {
      ratios[metric].push(rates[metric].ours.at(-1)! / rates[metric].raw.at(-1)!);
    }
    ratios.hop.push(hop.raw / hop.ours);
    console.log(
      `  round ${round}: publish ${Math.round(rates.publish.raw.at(-1)!)} vs ${Math.round(rates.publish.ours.at(-1)!)}/s, ` +
        `consume+ack ${Math.round(rates.consume.raw.at(-1)!)} vs ${Math.round(rates.consume.ours.at(-1)!)}/s, ` +
        `pipeline ${Math.round(rates.pipeline.raw.at(-1)!)} vs ${Math.round(rates.pipeline.ours.at(-1)!)}/s, ` +
        `hop ${hop.raw.toFixed(2)} vs ${hop.ours.toFixed(2)} ms (raw vs transport)`,
    );
  }

  const rows: Array<[string, string, string, string]> = [];
  for (const metric of ['publish', 'consume', 'pipeline'] as const) {
    const r = median(rates[metric].raw);
    const o = median(rates[metric].ours);
    const label = { publish: 'publish/s', consume: 'consume+ack/s', pipeline: 'pipeline/s' }[metric];
    rows.push([label, Math.round(r).toString(), Math.round(o).toString(), median(ratios[metric]).toFixed(2)]);
  }
  // For latencies lower is better: the ratio is raw / transport, so >= 1 means as fast.
  rows.push([
    'recipe hop, median ms',
    percentile(latency.raw, 50).toFixed(2),
    percentile(latency.ours, 50).toFixed(2),
    median(ratios.hop).toFixed(2),
  ]);
  const p99 = [percentile(latency.raw, 99), percentile(latency.ours, 99)];
  rows.push(['recipe hop, p99 ms', p99[0].toFixed(2), p99[1].toFixed(2), (p99[0] / p99[1]).toFixed(2)]);
  const header: [string, string, string, string] = ['', 'raw amqplib', '@zocalo/transport-amqp', 'ratio'];
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const line = (row: readonly string[]): string =>
    `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
  console.log();
  console.log(line(header));
  console.log(
    `|${widths.map((width, column) => (column === 0 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`,
  );
  for (const row of rows) console.log(line(row));
  console.log('\nclient CPU per message (user + system, µs; lower is better):');
  for (const metric of ['publish', 'consume', 'pipeline'] as const) {
    console.log(
      `  ${metric.padEnd(8)} raw ${median(cpu[metric].raw).toFixed(1)}  transport ${median(cpu[metric].ours).toFixed(1)}`,
    );
  }
  console.log(
    '\nrates and latencies: medians over all rounds; ratio: median over rounds of transport / raw for rates, ' +
      'raw / transport for latencies (>= 0.9 is the target)',
  );

  await raw.close();
  await ours.close();
  for (const queue of used) {
    await adminChannel.deleteQueue(queue).catch(() => undefined);
    await adminChannel.deleteQueue(`dlq.${queue}`).catch(() => undefined);
  }
  await admin.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
