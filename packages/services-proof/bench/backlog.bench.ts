/**
 * A soak run, not a test (too long for the suite: 3-4 minutes on 2 cores): a backlog of 200,000 small
 * persistent messages on ActiveMQ, as the project's broker configuration runs it
 * (scripts/brokers/activemq.xml), while a service with the runtime's defaults drains it slowly. The
 * broker must stay up (same process, no connection dropped, nothing refused) and its heap below its
 * limit: with memoryUsage at 70 % of a 512 MB heap the broker ran out of heap and restarted itself
 * inside the JVM. Exits 1 when any of that fails. `pnpm --filter @zocalo/services-proof bench`
 * (brokers from `bash scripts/brokers.sh start`); BACKLOG=… sets the size.
 */
import '@zocalo/transport-stomp';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfiguration } from '@zocalo/configuration';
import { repoRoot, requireBroker, sleep, uniqueName, until } from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import { RecordingLogger, ServiceRuntime, ServiceState, defineService } from '@zocalo/workflows';

const BACKLOG = Number(process.env.BACKLOG ?? 200_000);
const BATCH = 2000;
const SITE = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'site', 'activemq.yaml');

function brokerPid(): number {
  return Number(readFileSync(join(repoRoot(), '.brokers', 'activemq', 'activemq.pid'), 'utf8').trim());
}

/** The JVM's used heap in MB (jstat, from the JDK), or undefined where jstat is not installed. */
function heapUsedMb(pid: number): number | undefined {
  try {
    const lines = execFileSync('jstat', ['-gc', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const names = lines[0].trim().split(/\s+/);
    const values = lines[1].trim().split(/\s+/).map(Number);
    const used = ['S0U', 'S1U', 'EU', 'OU'].reduce((sum, name) => sum + values[names.indexOf(name)], 0);
    return Math.round(used / 1024);
  } catch {
    return undefined;
  }
}

async function transport(): Promise<Transport> {
  return loadConfiguration({ file: SITE, logger: new RecordingLogger() }).createTransport({
    logger: new RecordingLogger(),
  });
}

async function main(): Promise<string[]> {
  await requireBroker('stomp');
  const failures: string[] = [];
  const queue = uniqueName('bench.proof.backlog');
  const pid = brokerPid();
  const events: string[] = [];
  const producer = await transport();
  producer.onEvent((event) => events.push(`producer ${event.type}`));
  await producer.connect();

  let processed = 0;
  const serviceTransport = await transport();
  serviceTransport.onEvent((event) => events.push(`service ${event.type}`));
  const runtime = new ServiceRuntime(
    defineService({
      name: 'Slow',
      initializing: async (ctx) => {
        await ctx.subscribe(queue, async () => {
          await sleep(5);
          processed++;
        });
      },
    }),
    { transport: serviceTransport, logger: new RecordingLogger(), commandTopic: false },
  );
  const running = runtime.run();
  await until(() => runtime.state === ServiceState.IDLE, 15_000, 'the service to start');

  let peak = 0;
  const watch = setInterval(() => {
    peak = Math.max(peak, heapUsedMb(pid) ?? 0);
  }, 1000);
  const started = Date.now();
  const payload = 'x'.repeat(100);
  try {
    for (let n = 0; n < BACKLOG; n += BATCH) {
      await Promise.all(Array.from({ length: BATCH }, (_, k) => producer.send(queue, { n: n + k, payload })));
    }
    const sentIn = (Date.now() - started) / 1000;
    const before = processed;
    await sleep(5000);
    console.log(
      `ActiveMQ backlog: ${BACKLOG} sent in ${sentIn.toFixed(1)} s (${Math.round(BACKLOG / sentIn)}/s) while a slow ` +
        `service processed ${before}; ${processed - before} more in the next 5 s; broker heap peak ` +
        `${peak || 'n/a'} MB of 1024 MB (-Xmx1G)`,
    );
    if (processed <= before) failures.push('the service stopped processing under the backlog');
  } finally {
    clearInterval(watch);
  }
  if (brokerPid() !== pid) failures.push(`the broker restarted (pid ${pid} → ${brokerPid()})`);
  const dropped = events.filter((event) => !event.endsWith(' connected'));
  if (dropped.length > 0) failures.push(`connection events besides "connected": ${dropped.join(', ')}`);
  const log = readFileSync(join(repoRoot(), '.brokers', 'activemq', 'activemq.log'), 'utf8');
  if (/OutOfMemoryError|Restarting the broker/.test(log.slice(-200_000))) {
    failures.push('the broker log shows OutOfMemoryError or a broker restart');
  }

  // Empty the queue again (ActiveMQ keeps it in its store): a fast consumer without acknowledgement.
  runtime.stop();
  await running;
  const drainer = await transport();
  await drainer.connect();
  let drained = 0;
  let last = Date.now();
  const drainStarted = Date.now();
  await drainer.subscribe(
    queue,
    () => {
      drained++;
      last = Date.now();
    },
    { prefetch: 1000 },
  );
  while (Date.now() - last < 2000) await sleep(250);
  console.log(`drained the remaining ${drained} in ${((last - drainStarted) / 1000).toFixed(1)} s`);
  if (processed + drained < BACKLOG) failures.push(`${BACKLOG - processed - drained} messages missing`);
  for (const opened of [producer, serviceTransport, drainer])
    await opened.disconnect().catch(() => undefined);
  return failures;
}

main().then(
  (failures) => {
    for (const failure of failures) console.error(`FAILED: ${failure}`);
    process.exit(failures.length === 0 ? 0 : 1);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
