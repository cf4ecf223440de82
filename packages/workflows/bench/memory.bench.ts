/**
 * Memory transport throughput and latency, side by side with a bare JSON round trip of the same
 * object measured in the same run. Prints figures; asserts nothing (targets are read off the table).
 */
import { performance } from 'node:perf_hooks';
import { MemoryBroker, MemoryTransport } from '../src/index';
import type { Logger } from '../src/index';

const silent: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};

/** A ~220-byte recipe envelope, as a service would send it one step on. */
const envelope = {
  recipe: { '1': { service: 'Sink', queue: 'sink' }, start: [[1, []]] },
  'recipe-pointer': 1,
  'recipe-path': [],
  environment: { ID: '6c1e4b5e-9d1f-4a56-8b3e-1f2a3b4c5d6e' },
  payload: { image: '/dls/i04/data/cm12345-1/x_0001.cbf', frame: 1 },
};
const envelopeBytes = Buffer.byteLength(JSON.stringify(envelope));
const rawBody = JSON.stringify(envelope);

const WINDOW = 1000;

function jsonRoundTrip(count: number): number {
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const copy = JSON.parse(JSON.stringify(envelope)) as { 'recipe-pointer': number };
    sink += copy['recipe-pointer'];
  }
  const seconds = (performance.now() - start) / 1000;
  if (sink !== count) throw new Error('round trip lost messages');
  return count / seconds;
}

async function transportRate(count: number, raw: boolean, acknowledgement: boolean): Promise<number> {
  const transport = new MemoryTransport({
    broker: new MemoryBroker(),
    logger: silent,
    defaultPrefetch: 1000,
  });
  await transport.connect();
  let received = 0;
  let target = 0;
  let caughtUp: () => void = () => {};
  await transport.subscribe(
    'bench',
    (header) => {
      if (acknowledgement) void transport.ack(header);
      if (++received === target) caughtUp();
    },
    { acknowledgement, disableMangling: raw },
  );
  // Up to WINDOW messages in flight, as in a busy service: the sender runs ahead of the consumer
  // without piling the whole run into the queue.
  const start = performance.now();
  for (let sent = 0; sent < count;) {
    const batch = Math.min(WINDOW, count - sent);
    target = sent + batch;
    const arrived = new Promise<void>((resolve) => (caughtUp = resolve));
    if (raw) for (let i = 0; i < batch; i++) void transport.rawSend('bench', rawBody);
    else for (let i = 0; i < batch; i++) void transport.send('bench', envelope);
    sent += batch;
    await arrived;
  }
  const seconds = (performance.now() - start) / 1000;
  await transport.disconnect();
  return count / seconds;
}

async function latency(count: number): Promise<{ median: number; p99: number }> {
  const transport = new MemoryTransport({ broker: new MemoryBroker(), logger: silent });
  await transport.connect();
  const samples: number[] = [];
  let sentAt = 0;
  let next!: () => void;
  await transport.subscribe('latency', () => {
    samples.push(performance.now() - sentAt);
    next();
  });
  for (let i = 0; i < count; i++) {
    const arrived = new Promise<void>((resolve) => (next = resolve));
    sentAt = performance.now();
    void transport.send('latency', envelope);
    await arrived;
  }
  await transport.disconnect();
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(count / 2)] * 1000, p99: samples[Math.floor(count * 0.99)] * 1000 };
}

function best(rates: number[]): number {
  return Math.max(...rates);
}

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_COUNT ?? 300_000);
  const rounds = 5;
  const json: number[] = [];
  const mangled: number[] = [];
  const raw: number[] = [];
  const acked: number[] = [];
  // Interleave the measurements so that both sides see the same machine state.
  for (let round = 0; round < rounds; round++) {
    json.push(jsonRoundTrip(count));
    mangled.push(await transportRate(count, false, false));
    raw.push(await transportRate(count, true, false));
    acked.push(await transportRate(count, false, true));
  }
  const lat = await latency(20_000);
  const rows: Array<[string, string, string]> = [
    ['JSON.stringify + JSON.parse (baseline)', `${Math.round(best(json)).toLocaleString()}/s`, '1.00'],
    [
      'memory send + consume, JSON mangling',
      `${Math.round(best(mangled)).toLocaleString()}/s`,
      (best(mangled) / best(json)).toFixed(2),
    ],
    [
      'memory send + consume + ack, JSON mangling',
      `${Math.round(best(acked)).toLocaleString()}/s`,
      (best(acked) / best(json)).toFixed(2),
    ],
    ['memory rawSend + consume, raw body', `${Math.round(best(raw)).toLocaleString()}/s`, '-'],
  ];
  console.log(
    `memory transport, ${envelopeBytes}-byte recipe envelope, ${count} messages, best of ${rounds}`,
  );
  console.log(`${'measure'.padEnd(44)} ${'rate'.padStart(14)}  ratio`);
  for (const [name, rate, ratio] of rows) console.log(`${name.padEnd(44)} ${rate.padStart(14)}  ${ratio}`);
  console.log(`latency send -> callback: median ${lat.median.toFixed(1)} µs, p99 ${lat.p99.toFixed(1)} µs`);
  console.log(
    `targets: mangled >= 0.80 x baseline: ${best(mangled) / best(json) >= 0.8 ? 'met' : 'MISSED'}; ` +
      `raw >= 1,000,000/s: ${best(raw) >= 1_000_000 ? 'met' : 'MISSED'}`,
  );
}

void main();
