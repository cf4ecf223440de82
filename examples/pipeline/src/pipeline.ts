/**
 * The main job: the recipe in `recipes/image-analysis.json`, started by a starter and carried
 * through five example services, each run by the service runtime (`ServiceRuntime`) on a transport
 * of its own, as separate processes would be; which broker they share is configuration only.
 */
import { Recipe, RecipeWrapper } from '@zocalo/recipes';
import type { Logger, ServiceDefinition, Transport } from '@zocalo/workflows';
import { ServiceRuntime, getDefaultLogger, stateText } from '@zocalo/workflows';
import type { Hop, Outcome, SpotResult } from './services';
import { collect, findSpots, index, monitor, skip } from './services';
import imageAnalysis from '../recipes/image-analysis.json';

export interface PipelineOptions {
  /** Makes one (unconnected) transport per service; all must reach the same broker. */
  readonly transport: () => Promise<Transport>;
  /** Queue and topic name prefix, so runs on a shared broker never meet. Default `example`. */
  readonly prefix?: string;
  /** Spots needed for a frame to be indexed. Default 50. */
  readonly threshold?: number;
  /** Where each hop is reported. Default: console.log. */
  readonly print?: (line: string) => void;
  /** The services' logger (the runtime binds `service` and `host`). Default: the process-wide one. */
  readonly logger?: Logger;
  /** Give up after this many ms. Default 30000. */
  readonly timeout?: number;
}

/** What the runtime of one service counted, read once it ended. */
export interface ServiceReport {
  readonly name: string;
  /** `statustext` of its last state: `shutdown` after a clean end. */
  readonly state: string;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly messagesFailed: number;
}

export interface PipelineResult {
  readonly recipeId: string;
  /** What reached the last step, by frame. */
  readonly outcomes: readonly Outcome[];
  /** Frames the monitor topic saw, in order. */
  readonly monitored: readonly number[];
  /** The five services, in recipe step order. */
  readonly services: readonly ServiceReport[];
}

/** A runtime that has started: its subscriptions exist (queues declared, topics bound). */
interface Started {
  readonly runtime: ServiceRuntime;
  readonly running: Promise<void>;
}

async function counted(runtime: ServiceRuntime, metric: 'messagesIn' | 'messagesOut' | 'messagesFailed') {
  const { values } = await runtime.metrics![metric].get();
  return values.reduce((sum, value) => sum + value.value, 0);
}

export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const prefix = options.prefix ?? 'example';
  const print = options.print ?? ((line: string) => console.log(line));
  const logger = options.logger ?? getDefaultLogger();
  const recipe = new Recipe(imageAnalysis).applyParameters({
    prefix,
    visit: '/dls/i04/data/2026/cm12345-1',
    threshold: options.threshold ?? 50,
  });
  recipe.validate();
  const frames = recipe.start.length;

  const hop: Hop = (wrapper, step, text) =>
    print(`[${wrapper.recipeId?.slice(0, 8)}] step ${wrapper.recipePointer} ${step.padEnd(10)} ${text}`);
  const started: Started[] = [];
  let failed!: (error: unknown) => void;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  failure.catch(() => undefined);

  /** Run a service until the pipeline is over; resolves once its `initializing()` has finished. */
  const start = async (service: ServiceDefinition): Promise<void> => {
    let ready!: () => void;
    const initialized = new Promise<void>((resolve) => (ready = resolve));
    const runtime = new ServiceRuntime(
      {
        ...service,
        initializing: async (ctx) => {
          await service.initializing?.(ctx);
          ready();
        },
      },
      { transport: await options.transport(), logger, metrics: true },
    );
    const running = runtime.run();
    // A service that fails (at start, or by losing its broker) fails the pipeline.
    running.catch((error: unknown) => failed(error));
    started.push({ runtime, running });
    await Promise.race([initialized, failure]);
  };

  let starter: Transport | undefined;
  try {
    const outcomes: Outcome[] = [];
    const monitored: number[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const check = (): void => {
      const hits = outcomes.filter((outcome) => outcome.route === 'indexed').length;
      if (outcomes.length === frames && monitored.length === hits) finished();
    };

    await start(findSpots(`${prefix}.find-spots`, hop));
    await start(index(`${prefix}.index`, hop));
    await start(
      monitor(`${prefix}.monitor`, hop, (result: SpotResult) => {
        monitored.push(result.frame);
        check();
      }),
    );
    await start(skip(`${prefix}.skip`, hop));
    await start(
      collect(`${prefix}.collect`, hop, (outcome) => {
        outcomes.push(outcome);
        check();
      }),
    );

    starter = await options.transport();
    await starter.connect();
    const wrapper = RecipeWrapper.fromRecipe(recipe, starter);
    print(
      `[${wrapper.recipeId?.slice(0, 8)}] starting recipe ${wrapper.recipeId} on ${starter.name}: ${frames} images`,
    );
    await wrapper.start();

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`pipeline did not finish in ${options.timeout ?? 30000} ms`)),
        options.timeout ?? 30000,
      );
    });
    await Promise.race([done, timeout, failure]).finally(() => clearTimeout(timer));

    // Stop the services as a SIGTERM would: each finishes the message in hand (the last ack commits).
    for (const { runtime } of started) runtime.stop('the recipe is done');
    await Promise.all(started.map(({ running }) => running));
    const services = await Promise.all(
      started.map(async ({ runtime }): Promise<ServiceReport> => ({
        name: runtime.service.name,
        state: stateText(runtime.state),
        messagesIn: await counted(runtime, 'messagesIn'),
        messagesOut: await counted(runtime, 'messagesOut'),
        messagesFailed: await counted(runtime, 'messagesFailed'),
      })),
    );

    const sorted = [...outcomes].sort((a, b) => a.frame - b.frame);
    const indexed = sorted.filter((outcome) => outcome.route === 'indexed').length;
    print(
      `[${wrapper.recipeId?.slice(0, 8)}] done on ${starter.name}: ${frames} images, ${indexed} indexed, ` +
        `${frames - indexed} skipped, ${monitored.length} seen by the monitor`,
    );
    return {
      recipeId: wrapper.recipeId!,
      outcomes: sorted,
      monitored: [...monitored].sort((a, b) => a - b),
      services,
    };
  } finally {
    // After a failure: stop whatever still runs (a no-op for services that have ended).
    for (const { runtime } of started) runtime.stop('the pipeline failed');
    await Promise.all(started.map(({ running }) => running.catch(() => undefined)));
    await starter?.disconnect().catch(() => undefined);
  }
}
