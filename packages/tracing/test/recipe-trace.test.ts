/**
 * One trace from the Dispatcher to the last step of a recipe, received by a real OTLP/HTTP receiver
 * from the SDK's real exporter: in memory (the four services in this process, as the memory
 * transport needs), and on ActiveMQ and RabbitMQ with the Dispatcher and each step a process of its
 * own, tracing switched on from the site configuration's `opentelemetry` block.
 */
import '@zocalo/transport-amqp';
import '@zocalo/transport-stomp';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfiguration } from '@zocalo/configuration';
import { createDispatcher } from '@zocalo/dispatcher';
import type { BrokerKind } from '@zocalo/test-brokers';
import { rabbitManagement, requireBroker } from '@zocalo/test-brokers';
import type { HeaderValue, ReceivedHeaders, Transport, TransportMiddleware } from '@zocalo/workflows';
import { RecordingLogger, ServiceRuntime } from '@zocalo/workflows';
import type { Tracing } from '../src';
import { TracingMiddleware, startTracing } from '../src';
import { stepService } from './fixtures/step-service';
import { OtlpReceiver } from '@zocalo/test-brokers';
import { waterfallSvg } from './support/waterfall';
import type { RecipeSetup } from './support/recipe-trace';
import {
  STEP_NAMES,
  expectOneRecipeTrace,
  processingSpans,
  recipeSetup,
  request,
} from './support/recipe-trace';

jest.setTimeout(60000);

const MEMORY_SITE = 'version: 1\nembedded:\n  plugin: memory\nenvironments:\n  default: [embedded]\n';

describe('one recipe, one trace, in memory', () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  const runtimes: ServiceRuntime[] = [];
  let client: Transport;
  let setup: RecipeSetup;
  /** The trace headers StepOne received, by message. */
  const stepOneHeaders: Array<Record<string, HeaderValue | undefined>> = [];

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    tracing = await startTracing({
      serviceName: 'memory-pipeline',
      endpoint: receiver.endpoint,
      scheduledDelayMillis: 50,
    });
    setup = recipeSetup('trace.memory');
    const configuration = loadConfiguration({ text: MEMORY_SITE, logger: new RecordingLogger() });
    const logger = new RecordingLogger();
    const recordHeaders: TransportMiddleware = {
      receive: (incoming, next) => {
        const header: ReceivedHeaders = incoming.header;
        stepOneHeaders.push({ traceparent: header.traceparent, tracestate: header.tracestate });
        return next(incoming);
      },
    };
    const services = [
      await createDispatcher({
        storage: {
          'zocalo.recipe_directory': setup.recipeDirectory,
          'zocalo.dispatcher.queue': setup.dispatcherQueue,
        },
        logger,
      }),
      ...STEP_NAMES.map((name, index) => stepService(name, setup.stepQueues[index], () => undefined)),
    ];
    for (const [index, service] of services.entries()) {
      const runtime = new ServiceRuntime(service, {
        transport: await configuration.createTransport({ logger }),
        logger,
        commandTopic: false,
        statusInterval: 3600,
        middleware: [
          ...(index === 1 ? [recordHeaders] : []),
          new TracingMiddleware(tracing.tracer, service.name),
        ],
      });
      runtimes.push(runtime);
      void runtime.run();
    }
    client = await configuration.createTransport({ logger });
    await client.connect();
    // Started: all of them subscribed.
    await new Promise((resolve) => setTimeout(resolve, 200));
  });

  afterAll(async () => {
    for (const runtime of runtimes) runtime.stop();
    await Promise.all(runtimes.map((runtime) => runtime.run().catch(() => undefined)));
    await client?.disconnect();
    await tracing?.shutdown();
    await receiver?.close();
  });

  async function runRecipe(headers?: Record<string, HeaderValue>): Promise<void> {
    receiver.spans.length = 0;
    await client.send(setup.dispatcherQueue, request(setup), headers ? { headers } : {});
    await receiver.waitFor((spans) => processingSpans(spans, setup) !== undefined);
    // The last step's own spans (its ack) come in the same or the next batch.
    await tracing.forceFlush();
  }

  test('the receiver gets one trace linking each step to the one before it', async () => {
    await runRecipe();
    expectOneRecipeTrace(receiver.spans, setup);
    const [dispatcher] = processingSpans(receiver.spans, setup)!;
    // ZOCALO_WATERFALL=<file>: draw this trace (docs/images/recipe-trace.svg is made so).
    if (process.env.ZOCALO_WATERFALL) {
      const trace = receiver.spans.filter((span) => span.traceId === dispatcher.traceId);
      writeFileSync(
        process.env.ZOCALO_WATERFALL,
        waterfallSvg(trace, 'One recipe: Dispatcher → StepOne → StepTwo → StepThree'),
      );
    }
    // StepOne got the context of the Dispatcher's send, as Python's propagator writes it.
    expect(stepOneHeaders.at(-1)?.traceparent).toMatch(
      new RegExp(`^00-${dispatcher.traceId}-[0-9a-f]{16}-01$`),
    );
    // python-workflows' names: the acks and transactions of each step are in the trace too.
    const names = new Set(
      receiver.spans.filter((span) => span.traceId === dispatcher.traceId).map((s) => s.name),
    );
    expect(names).toEqual(
      new Set([
        'transport.subscribe',
        'transport.send',
        'transport.ack',
        'transaction.begin',
        'transaction.commit',
      ]),
    );
  });

  test('a request sent inside a trace continues it', async () => {
    const traceId = 'a'.repeat(32);
    await runRecipe({ traceparent: `00-${traceId}-${'b'.repeat(16)}-01`, tracestate: 'vendor=kept' });
    const [dispatcher] = processingSpans(receiver.spans, setup)!;
    expect(dispatcher).toMatchObject({ traceId, parentSpanId: 'b'.repeat(16) });
    expect(stepOneHeaders.at(-1)?.tracestate).toBe('vendor=kept');
  });

  test.each([
    ['malformed', 'not-a-traceparent'],
    ['all zero', `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`],
    ['hostile', `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01\r\nx-injected: 1${'z'.repeat(4096)}`],
  ])('a request with a %s traceparent is processed normally and starts a new trace', async (_what, value) => {
    await runRecipe({ traceparent: value });
    const [dispatcher] = processingSpans(receiver.spans, setup)!;
    expect(dispatcher.parentSpanId).toBe('');
    expect(dispatcher.traceId).not.toBe('c'.repeat(32));
    expectOneRecipeTrace(receiver.spans, setup);
  });

  test('a 1 MB tracestate is dropped, not propagated', async () => {
    const traceId = 'e'.repeat(32);
    await runRecipe({
      traceparent: `00-${traceId}-${'f'.repeat(16)}-01`,
      tracestate: `big=${'x'.repeat(1 << 20)}`,
    });
    const [dispatcher] = processingSpans(receiver.spans, setup)!;
    expect(dispatcher.traceId).toBe(traceId);
    expect(stepOneHeaders.at(-1)?.tracestate).toBeUndefined();
    expectOneRecipeTrace(receiver.spans, setup, 'f'.repeat(16));
  });
});

/** A service process of test/fixtures/traced-service.ts. */
class TracedProcess {
  readonly child: ChildProcess;
  private output = '';
  private readonly listeners: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(site: string, args: string[]) {
    this.child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@zocalo/source',
        join(__dirname, 'fixtures', 'traced-service.ts'),
        ...args,
      ],
      { env: { ...process.env, ZOCALO_CONFIG: site }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
      for (const listener of this.listeners) listener();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (Date.now() > deadline)
        throw new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${this.output.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  get log(): string {
    return this.output;
  }
}

const BROKER_BLOCKS: Record<BrokerKind, string> = {
  stomp:
    'broker:\n  plugin: stomp\n  host: 127.0.0.1\n  port: 61613\n  username: admin\n  password: password\n  prefix: ""\n',
  amqp: 'broker:\n  plugin: pika\n  host: 127.0.0.1\n  port: 5672\n  username: guest\n  password: guest\n  vhost: /\n',
};

describe.each([
  ['ActiveMQ', 'stomp'],
  ['RabbitMQ', 'amqp'],
] as const)('one recipe, one trace, on %s, four processes', (_label, kind) => {
  let receiver: OtlpReceiver;
  let setup: RecipeSetup;
  let processes: TracedProcess[] = [];

  beforeAll(async () => {
    await requireBroker(kind);
    receiver = await OtlpReceiver.start();
    setup = recipeSetup(`trace.${kind}`);
  });

  afterAll(async () => {
    for (const each of processes) each.child.kill('SIGKILL');
    await receiver?.close();
    if (kind === 'amqp' && setup) {
      for (const queue of [setup.dispatcherQueue, ...setup.stepQueues]) {
        await rabbitManagement.deleteQueue(queue).catch(() => false);
      }
    }
  });

  test('the receiver gets one trace whose spans link each step to the one before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zocalo-trace-site-'));
    const site = join(dir, 'site.yaml');
    // Python's keys (host, port), and our endpoint key for a receiver without TLS.
    writeFileSync(
      site,
      `version: 1\n${BROKER_BLOCKS[kind]}otel:\n  plugin: opentelemetry\n  host: 127.0.0.1\n  port: ${receiver.port}\n` +
        `  endpoint: ${receiver.endpoint}\nenvironments:\n  default: [broker, otel]\n`,
    );
    processes = [
      new TracedProcess(site, ['dispatcher', setup.dispatcherQueue, setup.recipeDirectory]),
      ...STEP_NAMES.map((name, index) => new TracedProcess(site, ['step', name, setup.stepQueues[index]])),
    ];
    await processes[0].waitFor(/service started/);
    for (const step of processes.slice(1)) await step.waitFor(/^ready$/m);

    const configuration = loadConfiguration({ file: site, logger: new RecordingLogger() });
    const client = await configuration.createTransport({ logger: new RecordingLogger() });
    await client.connect();
    try {
      await client.send(setup.dispatcherQueue, request(setup));
    } finally {
      await client.disconnect();
    }
    await processes[3].waitFor(/^done StepThree$/m);
    for (const each of processes) each.child.kill('SIGTERM');
    const codes = await Promise.all(processes.map((each) => each.exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    // Each process flushed its spans on the way out.
    await receiver.waitFor((spans) => processingSpans(spans, setup) !== undefined, 10000);
    expectOneRecipeTrace(receiver.spans, setup);
    // Each process said who it is: the resource's service.name, as python-workflows sets it.
    const steps = processingSpans(receiver.spans, setup)!;
    expect(steps.map((span) => span.resourceServiceName)).toEqual(['Dispatcher', ...STEP_NAMES]);
  });
});
