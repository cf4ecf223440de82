/**
 * STOMP transport vs raw stompit, same ActiveMQ, same run, same guarantees:
 * ~200-byte JSON, persistent, sends confirmed by receipts (on the last frame of each burst and at
 * least every 256 frames, at most 4096 unconfirmed — the transport's default `batched` mode), manual
 * client-individual acks, prefetch 100, heart-beats 10 s, many sends in flight.
 *
 *   publish/s        N sends in flight at once, until the broker has confirmed all of them
 *   consume+ack/s    drain N waiting messages, parse and ack each
 *   pipeline/s       a recipe step: drain N waiting messages, send each on to another queue and ack the
 *                    input once the broker has confirmed that send (many in flight)
 *   hop latency      one recipe message at a time: send → subscriber callback (median and p95, ms)
 *
 * Rounds alternate the two sides; each line reports the median round. Ratio = transport / raw for
 * rates and raw / transport for latency, so ≥ 1 means the transport is at least as good.
 *
 *   pnpm --filter @zocalo/transport-stomp bench
 *   (environment: BENCH_N, BENCH_ROUNDS, BENCH_LINES, BENCH_LATENCY_SAMPLES, ZOCALO_STOMP_PORT)
 */
import type { Client } from 'stompit';
import stompitConnect from 'stompit/lib/connect.js';
import type { Logger, ReceivedHeaders } from '@zocalo/workflows';
import { StompTransport } from '../src';

const HOST = '127.0.0.1';
const PORT = Number(process.env.ZOCALO_STOMP_PORT ?? 61613);
const N = Number(process.env.BENCH_N ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 500);
const PREFETCH = 100;
/** Which lines to run: BENCH_LINES=publish,consume,pipeline,latency (default all). */
const LINES = (process.env.BENCH_LINES ?? 'publish,consume,pipeline,latency').split(',');
const HEARTBEAT_MS = 10000;
const RECEIPT_EVERY = 256;
const SEND_WINDOW = 4096;

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

let runId = 0;
function queueName(what: string): string {
  return `zocalo.bench.${what}.${process.pid}.${Date.now().toString(36)}.${runId++}`;
}

/** A recipe message of about 200 bytes. */
function recipeMessage(i: number): Record<string, unknown> {
  return {
    recipe: { '1': { service: 'bench', queue: 'bench.step' }, start: [[1, []]] },
    'recipe-pointer': 1,
    'recipe-path': [],
    environment: { ID: '8e1cbbd4-3a8c-4f9e-9b59-4a0b6f4a51d2' },
    payload: { i, sent: Date.now() },
  };
}

// ------------------------------------------------------------------------------------------ raw stompit

function rawConnect(): Promise<Client> {
  return new Promise((resolve, reject) => {
    stompitConnect(
      {
        host: HOST,
        port: PORT,
        connectHeaders: {
          host: HOST,
          login: 'admin',
          passcode: 'password',
          'heart-beat': `${HEARTBEAT_MS},${HEARTBEAT_MS}`,
        },
      },
      (error: Error | null, client: Client) => (error ? reject(error) : resolve(client)),
    );
  });
}

function rawDisconnect(client: Client): Promise<void> {
  return new Promise((resolve) => client.disconnect(() => resolve()));
}

/**
 * Raw stompit with the transport's receipt rule: sends issued in one tick are written together, a
 * receipt on the last frame of the burst (and every 256 frames), at most 4096 unconfirmed.
 */
class RawPublisher {
  private queue: Array<{
    destination: string;
    body: string;
    extra: Record<string, string>;
    done: () => void;
  }> = [];
  private waiting: Array<() => void> = [];
  private unconfirmed = 0;
  private scheduled = false;

  constructor(private readonly client: Client) {}

  send(destination: string, body: string, extra: Record<string, string> = {}): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ destination, body, extra, done: resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && this.unconfirmed < SEND_WINDOW) {
      const item = this.queue.shift()!;
      this.waiting.push(item.done);
      this.unconfirmed++;
      const last = this.queue.length === 0 || this.unconfirmed >= SEND_WINDOW;
      const receipt = last || this.waiting.length >= RECEIPT_EVERY;
      const headers = {
        ...item.extra,
        destination: item.destination,
        persistent: 'true',
        'content-length': String(Buffer.byteLength(item.body)),
      };
      if (receipt) {
        const confirmed = this.waiting;
        this.waiting = [];
        const options = {
          onReceipt: () => {
            this.unconfirmed -= confirmed.length;
            for (const done of confirmed) done();
            if (this.queue.length > 0) this.flush();
          },
        };
        this.client.send(headers, options as never).end(item.body);
      } else {
        this.client.send(headers).end(item.body);
      }
    }
  }
}

interface Side {
  readonly name: string;
  publish(count: number): Promise<number>;
  consume(count: number): Promise<number>;
  pipeline(count: number): Promise<number>;
  latency(samples: number): Promise<number[]>;
}

/** Fill a queue with `count` messages (raw, fast) for the consuming lines. */
async function fill(queue: string, count: number): Promise<void> {
  const client = await rawConnect();
  const publisher = new RawPublisher(client);
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      publisher.send(`/queue/${queue}`, JSON.stringify(recipeMessage(i))),
    ),
  );
  await rawDisconnect(client);
}

const raw: Side = {
  name: 'raw stompit',

  async publish(count) {
    const client = await rawConnect();
    const publisher = new RawPublisher(client);
    const destination = `/queue/${queueName('publish')}`;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: count }, (_, i) => publisher.send(destination, JSON.stringify(recipeMessage(i)))),
    );
    const seconds = (performance.now() - started) / 1000;
    await rawDisconnect(client);
    await drain(destination.slice('/queue/'.length), count);
    return count / seconds;
  },

  async consume(count) {
    const queue = queueName('consume');
    await fill(queue, count);
    const client = await rawConnect();
    const started = performance.now();
    await new Promise<void>((resolve) => {
      let seen = 0;
      client.subscribe(
        {
          destination: `/queue/${queue}`,
          ack: 'client-individual',
          'activemq.prefetchSize': String(PREFETCH),
        },
        (error, message) => {
          if (error) return;
          message.readString('utf-8', (_readError, body) => {
            JSON.parse(body!);
            client.ack(message);
            if (++seen === count) resolve();
          });
        },
      );
    });
    const seconds = (performance.now() - started) / 1000;
    await rawDisconnect(client);
    return count / seconds;
  },

  async pipeline(count) {
    const input = queueName('pipein');
    const output = `/queue/${queueName('pipeout')}`;
    await fill(input, count);
    const consumer = await rawConnect();
    const producer = await rawConnect();
    const publisher = new RawPublisher(producer);
    const started = performance.now();
    await new Promise<void>((resolve) => {
      let done = 0;
      consumer.subscribe(
        {
          destination: `/queue/${input}`,
          ack: 'client-individual',
          'activemq.prefetchSize': String(PREFETCH),
        },
        (error, message) => {
          if (error) return;
          message.readString('utf-8', (_readError, body) => {
            const parsed = JSON.parse(body!) as { payload: unknown };
            void publisher.send(output, JSON.stringify({ ...parsed, 'recipe-pointer': 2 })).then(() => {
              consumer.ack(message);
              if (++done === count) resolve();
            });
          });
        },
      );
    });
    const seconds = (performance.now() - started) / 1000;
    await Promise.all([rawDisconnect(consumer), rawDisconnect(producer)]);
    await drain(output.slice('/queue/'.length), count);
    return count / seconds;
  },

  async latency(samples) {
    const queue = `/queue/${queueName('hop')}`;
    const consumer = await rawConnect();
    const producer = await rawConnect();
    const publisher = new RawPublisher(producer);
    let arrived: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      consumer.setImplicitSubscription(1, 'client-individual', (error, message) => {
        if (error) return;
        message.readString('utf-8', (_readError, body) => {
          JSON.parse(body!);
          consumer.ack(message);
          arrived?.();
        });
      });
      consumer
        .sendFrame(
          'SUBSCRIBE',
          { destination: queue, id: 1, ack: 'client-individual', 'activemq.prefetchSize': String(PREFETCH) },
          { onReceipt: resolve } as never,
        )
        .end();
    });
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      const received = new Promise<void>((resolve) => (arrived = resolve));
      await publisher.send(queue, JSON.stringify(recipeMessage(i)), { 'workflows-recipe': 'true' });
      await received;
      times.push(performance.now() - started);
    }
    await Promise.all([rawDisconnect(consumer), rawDisconnect(producer)]);
    return times;
  },
};

// ------------------------------------------------------------------------------------------ the transport

function transport(): StompTransport {
  return new StompTransport({ host: HOST, port: PORT, heartbeat: HEARTBEAT_MS / 1000, logger: quiet });
}

/** Empty a queue the bench filled, so that the broker does not keep it on disk. */
async function drain(queue: string, count: number): Promise<void> {
  const t = transport();
  await t.connect();
  await new Promise<void>((resolve) => {
    let seen = 0;
    void t.subscribe(
      queue,
      () => {
        if (++seen === count) resolve();
      },
      { prefetch: 1000 },
    );
  });
  await t.disconnect();
}

const zocalo: Side = {
  name: 'zocalo stomp',

  async publish(count) {
    const t = transport();
    await t.connect();
    const queue = queueName('publish');
    const started = performance.now();
    await Promise.all(Array.from({ length: count }, (_, i) => t.send(queue, recipeMessage(i))));
    const seconds = (performance.now() - started) / 1000;
    await t.disconnect();
    await drain(queue, count);
    return count / seconds;
  },

  async consume(count) {
    const queue = queueName('consume');
    await fill(queue, count);
    const t = transport();
    await t.connect();
    const started = performance.now();
    await new Promise<void>((resolve) => {
      let seen = 0;
      void t.subscribe(
        queue,
        (header) => {
          void t.ack(header);
          if (++seen === count) resolve();
        },
        { acknowledgement: true, prefetch: PREFETCH },
      );
    });
    const seconds = (performance.now() - started) / 1000;
    await t.disconnect();
    return count / seconds;
  },

  async pipeline(count) {
    const input = queueName('pipein');
    const output = queueName('pipeout');
    await fill(input, count);
    const t = transport();
    await t.connect();
    const started = performance.now();
    await new Promise<void>((resolve) => {
      let done = 0;
      void t.subscribe(
        input,
        (header: ReceivedHeaders, message) => {
          const step = message as Record<string, unknown>;
          void t.send(output, { ...step, 'recipe-pointer': 2 }).then(() => {
            void t.ack(header);
            if (++done === count) resolve();
          });
        },
        { acknowledgement: true, prefetch: PREFETCH },
      );
    });
    const seconds = (performance.now() - started) / 1000;
    await t.disconnect();
    await drain(output, count);
    return count / seconds;
  },

  async latency(samples) {
    const consumer = transport();
    const producer = transport();
    await consumer.connect();
    await producer.connect();
    const queue = queueName('hop');
    let arrived: (() => void) | undefined;
    await consumer.subscribe(
      queue,
      (header) => {
        void consumer.ack(header);
        arrived?.();
      },
      { acknowledgement: true, prefetch: PREFETCH },
    );
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      const received = new Promise<void>((resolve) => (arrived = resolve));
      await producer.send(queue, recipeMessage(i), { headers: { 'workflows-recipe': true } });
      await received;
      times.push(performance.now() - started);
    }
    await Promise.all([consumer.disconnect(), producer.disconnect()]);
    return times;
  },
};

// ------------------------------------------------------------------------------------------ report

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

type Line = 'publish/s' | 'consume+ack/s' | 'pipeline/s' | 'hop latency median (ms)' | 'hop latency p95 (ms)';

async function main(): Promise<void> {
  const sides = [raw, zocalo];
  const results = new Map<string, Map<Line, number[]>>(sides.map((side) => [side.name, new Map()]));
  const add = (side: Side, line: Line, value: number): number => {
    const lines = results.get(side.name)!;
    lines.set(line, [...(lines.get(line) ?? []), value]);
    return value;
  };
  process.stdout.write(`ActiveMQ ${HOST}:${PORT}, N=${N}, ${ROUNDS} rounds, prefetch ${PREFETCH}\n`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const figures: string[] = [];
      if (LINES.includes('publish'))
        figures.push(`publish ${Math.round(add(side, 'publish/s', await side.publish(N)))}/s`);
      if (LINES.includes('consume')) {
        figures.push(`consume+ack ${Math.round(add(side, 'consume+ack/s', await side.consume(N)))}/s`);
      }
      if (LINES.includes('pipeline'))
        figures.push(`pipeline ${Math.round(add(side, 'pipeline/s', await side.pipeline(N)))}/s`);
      if (LINES.includes('latency')) {
        const times = await side.latency(LATENCY_SAMPLES);
        figures.push(`hop ${add(side, 'hop latency median (ms)', median(times)).toFixed(2)} ms`);
        add(side, 'hop latency p95 (ms)', percentile(times, 95));
      }
      process.stdout.write(`round ${round + 1}, ${side.name}: ${figures.join(', ')}\n`);
    }
  }
  const lines: Line[] = [
    'publish/s',
    'consume+ack/s',
    'pipeline/s',
    'hop latency median (ms)',
    'hop latency p95 (ms)',
  ];
  const rows = [['', raw.name, zocalo.name, 'ratio']];
  for (const line of lines) {
    if (!results.get(raw.name)!.has(line)) continue;
    const a = median(results.get(raw.name)!.get(line)!);
    const b = median(results.get(zocalo.name)!.get(line)!);
    const latency = line.startsWith('hop');
    const ratio = latency ? a / b : b / a;
    const format = (value: number): string => (latency ? value.toFixed(2) : Math.round(value).toString());
    rows.push([line, format(a), format(b), `${ratio.toFixed(2)}×`]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const table = rows.map(
    (row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`,
  );
  table.splice(1, 0, `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  process.stdout.write(`\n${table.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
