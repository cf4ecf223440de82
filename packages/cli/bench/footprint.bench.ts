/**
 * Resident memory of `zocalo service` as a site runs it (the built bin, the runtime's defaults,
 * stderr a pipe), side by side with a bare Node.js process measured in the same run, and beside the
 * targets of #12:
 *
 *   idle             a service that consumes one empty queue, after FOOTPRINT_SECONDS (30)
 *   backlog          a slow consumer (5 ms a message) of a queue holding FOOTPRINT_BACKLOG (20,000)
 *                    messages of 1 kB, after the same time: the prefetch bounds what it holds, so
 *                    the backlog must not show in its memory
 *
 * Each figure is the resident set at the end (VmRSS) and the peak over the run (VmHWM), in MB
 * (2^20 bytes). Run after `pnpm build`, with the brokers of scripts/brokers.sh up:
 *
 *   pnpm --filter @zocalo/cli bench
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROKER_FLAGS, BROKER_SETTINGS } from '@zocalo/test-brokers';
import type { Logger, Transport } from '@zocalo/workflows';
import { createTransport } from '@zocalo/workflows';

const SECONDS = Number(process.env.FOOTPRINT_SECONDS ?? 30);
const BACKLOG = Number(process.env.FOOTPRINT_BACKLOG ?? 20000);
const IDLE_TARGET_MB = 60;
/**
 * Our own bound for a busy consumer: its heap grows with the work it does, but the 20 MB queued must
 * stay on the broker (the prefetch bounds what comes in), so it stays under the idle target + 20 MB.
 */
const BACKLOG_TARGET_MB = IDLE_TARGET_MB + 20;

const CLI = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(CLI, 'dist', 'bin.js');
const SERVICE = join(CLI, 'test', 'fixtures', 'idle-service.mjs');
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

const SITES = {
  memory: { flags: [], settings: {} },
  stomp: { flags: BROKER_FLAGS.stomp, settings: BROKER_SETTINGS.stomp },
  amqp: { flags: BROKER_FLAGS.amqp, settings: BROKER_SETTINGS.amqp },
} as const;
type Kind = keyof typeof SITES;

interface Reading {
  readonly rss: number;
  readonly peak: number;
}

function mb(kilobytes: number): string {
  return (kilobytes / 1024).toFixed(1);
}

function statusOf(pid: number): Reading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Run a process for SECONDS, then read its memory and stop it. */
async function measure(child: ChildProcess, ready: RegExp | undefined): Promise<Reading> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  if (ready) {
    const deadline = Date.now() + 20000;
    while (!ready.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the service did not start:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const reading = statusOf(child.pid!);
  child.kill('SIGTERM');
  await exited;
  return reading;
}

function startService(kind: Kind, env: Record<string, string>): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'zocalo-footprint-'));
  const site = join(dir, 'site.yaml');
  writeFileSync(site, 'version: 1\nembedded:\n  plugin: memory\nenvironments:\n  default: [embedded]\n');
  const flags = kind === 'memory' ? ['--config', site] : SITES[kind].flags;
  return spawn(process.execPath, [BIN, 'service', SERVICE, ...flags], {
    env: { ...process.env, ZOCALO_CONFIG: undefined, ZOCALO_LOG_LEVEL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function broker(kind: Exclude<Kind, 'memory'>): Promise<Transport> {
  const transport = await createTransport(kind, { ...SITES[kind].settings, logger: quiet });
  await transport.connect();
  return transport;
}

async function fill(kind: Exclude<Kind, 'memory'>, queue: string): Promise<void> {
  const transport = await broker(kind);
  // Subscribing declares the queue (RabbitMQ refuses sends to a queue nobody declared).
  await transport.unsubscribe(await transport.subscribe(queue, () => undefined));
  const payload = 'x'.repeat(1000);
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < BACKLOG; i++) sends.push(transport.send(queue, { i, payload }));
  await Promise.all(sends);
  await transport.disconnect();
}

/** Take the rest of the backlog away, so the benchmark leaves the broker as it found it. */
async function empty(kind: Exclude<Kind, 'memory'>, queue: string): Promise<void> {
  const transport = await broker(kind);
  let last = Date.now();
  await transport.subscribe(
    queue,
    () => {
      last = Date.now();
    },
    { prefetch: 1000 },
  );
  while (Date.now() - last < 2000) await new Promise((resolve) => setTimeout(resolve, 250));
  await transport.disconnect();
}

async function main(): Promise<void> {
  const rows: Array<[string, Reading, number | undefined]> = [];
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const idle = (['memory', 'stomp', 'amqp'] as const).map((kind) =>
    measure(
      startService(kind, { FOOTPRINT_QUEUE: `zocalo.bench.footprint.idle.${process.pid}` }),
      /service started/,
    ),
  );
  const [bareReading, ...idleReadings] = await Promise.all([measure(bare, undefined), ...idle]);
  rows.push(['bare node (reference)', bareReading, undefined]);
  (['memory', 'stomp', 'amqp'] as const).forEach((kind, i) =>
    rows.push([`idle service, ${kind}`, idleReadings[i], IDLE_TARGET_MB]),
  );

  const backlogKinds = ['stomp', 'amqp'] as const;
  const queues = backlogKinds.map((kind) => `zocalo.bench.footprint.backlog.${kind}.${process.pid}`);
  await Promise.all(backlogKinds.map((kind, i) => fill(kind, queues[i])));
  const backlog = await Promise.all(
    backlogKinds.map((kind, i) =>
      measure(startService(kind, { FOOTPRINT_QUEUE: queues[i], FOOTPRINT_DELAY_MS: '5' }), /service started/),
    ),
  );
  await Promise.all(backlogKinds.map((kind, i) => empty(kind, queues[i])));
  backlogKinds.forEach((kind, i) =>
    rows.push([`${BACKLOG} backlog, ${kind}`, backlog[i], BACKLOG_TARGET_MB]),
  );

  console.log(`\nzocalo service resident memory after ${SECONDS} s (MB)\n`);
  console.log(
    `${'case'.padEnd(26)}${'RSS'.padStart(8)}${'peak'.padStart(8)}${'target'.padStart(9)}  verdict`,
  );
  for (const [name, reading, target] of rows) {
    const verdict = target === undefined ? '' : reading.rss / 1024 < target ? 'under target' : 'OVER TARGET';
    console.log(
      `${name.padEnd(26)}${mb(reading.rss).padStart(8)}${mb(reading.peak).padStart(8)}${(target === undefined ? '' : `< ${target}`).padStart(9)}  ${verdict}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
