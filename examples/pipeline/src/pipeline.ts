/**
 * The main job: the recipe in `recipes/image-analysis.json`, started by a starter and carried
 * through five example services. Each service has its own transport connection, as separate
 * processes would; which broker they share is configuration only.
 */
import { Recipe, RecipeWrapper } from '@zocalo/recipes';
import type { Transport } from '@zocalo/workflows';
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
  /** Give up after this many ms. Default 30000. */
  readonly timeout?: number;
}

export interface PipelineResult {
  readonly recipeId: string;
  /** What reached the last step, by frame. */
  readonly outcomes: readonly Outcome[];
  /** Frames the monitor topic saw, in order. */
  readonly monitored: readonly number[];
}

export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const prefix = options.prefix ?? 'example';
  const print = options.print ?? ((line: string) => console.log(line));
  const recipe = new Recipe(imageAnalysis).applyParameters({
    prefix,
    visit: '/dls/i04/data/2026/cm12345-1',
    threshold: options.threshold ?? 50,
  });
  recipe.validate();
  const frames = recipe.start.length;

  const open: Transport[] = [];
  const connect = async (): Promise<Transport> => {
    const transport = await options.transport();
    open.push(transport);
    await transport.connect();
    return transport;
  };
  const hop: Hop = (wrapper, step, text) =>
    print(`[${wrapper.recipeId?.slice(0, 8)}] step ${wrapper.recipePointer} ${step.padEnd(10)} ${text}`);

  try {
    const outcomes: Outcome[] = [];
    const monitored: number[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const check = (): void => {
      const hits = outcomes.filter((outcome) => outcome.route === 'indexed').length;
      if (outcomes.length === frames && monitored.length === hits) finished();
    };

    await findSpots(await connect(), `${prefix}.find-spots`, hop);
    await index(await connect(), `${prefix}.index`, hop);
    await skip(await connect(), `${prefix}.skip`, hop);
    await monitor(await connect(), `${prefix}.monitor`, hop, (result: SpotResult) => {
      monitored.push(result.frame);
      check();
    });
    await collect(await connect(), `${prefix}.collect`, hop, (outcome) => {
      outcomes.push(outcome);
      check();
    });

    const starter = await connect();
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
    await Promise.race([done, timeout]).finally(() => clearTimeout(timer));

    const sorted = [...outcomes].sort((a, b) => a.frame - b.frame);
    const indexed = sorted.filter((outcome) => outcome.route === 'indexed').length;
    print(
      `[${wrapper.recipeId?.slice(0, 8)}] done on ${starter.name}: ${frames} images, ${indexed} indexed, ` +
        `${frames - indexed} skipped, ${monitored.length} seen by the monitor`,
    );
    return { recipeId: wrapper.recipeId!, outcomes: sorted, monitored: [...monitored].sort((a, b) => a - b) };
  } finally {
    for (const transport of open) await transport.disconnect().catch(() => undefined);
  }
}
