/**
 * The cost of tracing: a memory pipeline (a relay service handing each message to a second service)
 * run with tracing off and on (spans exported in batches over OTLP/HTTP to a local receiver), in the
 * same run. `pnpm --filter @zocalo/tracing bench`.
 */
import { MemoryTransport, RecordingLogger, ServiceRuntime, defineService } from '@zocalo/workflows';
import type { TransportMiddleware } from '@zocalo/workflows';
import { TracingMiddleware, startTracing } from '../src';
import { OtlpReceiver } from '@zocalo/test-brokers';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);

async function pipeline(middleware: (name: string) => TransportMiddleware[]): Promise<number> {
  const logger = new RecordingLogger();
  let received = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const relay = defineService({
    name: 'Relay',
    async initializing(ctx) {
      await ctx.subscribe('bench.in', async (msg) => msg.send('bench.out', msg.message));
    },
  });
  const sink = defineService({
    name: 'Sink',
    async initializing(ctx) {
      await ctx.subscribe('bench.out', () => {
        if (++received === MESSAGES) finish();
      });
    },
  });
  const runtimes = [relay, sink].map(
    (service) =>
      new ServiceRuntime(service, {
        transport: new MemoryTransport(),
        logger,
        commandTopic: false,
        statusInterval: 3600,
        middleware: middleware(service.name),
      }),
  );
  for (const runtime of runtimes) void runtime.run();
  const client = new MemoryTransport();
  await client.connect();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i++) await client.send('bench.in', { i });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  for (const runtime of runtimes) runtime.stop();
  await Promise.all(runtimes.map((runtime) => runtime.run()));
  await client.disconnect();
  return MESSAGES / seconds;
}

async function main(): Promise<void> {
  const off = await pipeline(() => []);
  const receiver = await OtlpReceiver.start();
  const tracing = await startTracing({ serviceName: 'bench', endpoint: receiver.endpoint });
  const on = await pipeline((name) => [new TracingMiddleware(tracing.tracer, name)]);
  await tracing.shutdown();
  await receiver.close();
  const offAgain = await pipeline(() => []);
  const base = (off + offAgain) / 2;
  console.log(`memory pipeline, ${MESSAGES} messages through 2 services:`);
  console.log(`  tracing off  ${base.toFixed(0)} msg/s`);
  console.log(
    `  tracing on   ${on.toFixed(0)} msg/s  (${((1 - on / base) * 100).toFixed(0)}% slower; ${receiver.spans.length} spans in ${receiver.requests} batches)`,
  );
}

void main();
