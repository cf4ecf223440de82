/**
 * The example services, each a service of the runtime in @zocalo/workflows (`defineService`, run by
 * `runService` / `ServiceRuntime`): a name, and in `initializing()` a subscription to its own queue or
 * topic through `recipeHandler`. They know nothing else: the recipe says where their results go, and
 * the runtime handles each message in a transaction (outputs sent when the input's ack commits).
 */
import type { RecipeWrapper } from '@zocalo/recipes';
import { recipeHandler } from '@zocalo/recipes';
import type { ServiceDefinition } from '@zocalo/workflows';
import { defineService } from '@zocalo/workflows';

export interface ImageJob {
  readonly image: string;
  readonly frame: number;
}

export interface SpotResult extends ImageJob {
  readonly spots: number;
}

export interface Outcome extends SpotResult {
  /** Which branch of the recipe the frame took. */
  readonly route: 'indexed' | 'skipped';
  readonly cell?: readonly number[];
}

/** A stand-in for spot finding: deterministic, so runs on every broker can be compared. */
export function countSpots(job: ImageJob): number {
  let hash = 17;
  for (const char of job.image) hash = (hash * 31 + char.charCodeAt(0)) % 1000;
  return (hash + job.frame * 7) % 100;
}

/** A stand-in for indexing: a unit cell from the spot count. */
export function unitCell(result: SpotResult): number[] {
  return [40 + (result.spots % 7), 50 + (result.spots % 11), 60 + (result.spots % 13)];
}

/** Reports one hop of the recipe (the example prints it with the recipe ID). */
export type Hop = (wrapper: RecipeWrapper, step: string, text: string) => void;

/** Step "Find spots": counts spots and sends the frame to the named output `hits` or `misses`. */
export function findSpots(queue: string, hop: Hop): ServiceDefinition {
  return defineService({
    name: 'Find spots',
    serviceClass: 'FindSpots',
    async initializing(ctx) {
      await ctx.subscribe(
        queue,
        recipeHandler(async (wrapper) => {
          const job = wrapper.payload as ImageJob;
          const threshold = Number(wrapper.recipeStep?.parameters?.threshold ?? 50);
          const result: SpotResult = { ...job, spots: countSpots(job) };
          const output = result.spots >= threshold ? 'hits' : 'misses';
          hop(
            wrapper,
            'find spots',
            `${job.image}: ${result.spots} spots (threshold ${threshold}) -> ${output}`,
          );
          await wrapper.sendTo(output, result);
        }),
      );
    },
  });
}

/** Step "Index": indexes a frame with enough spots. */
export function index(queue: string, hop: Hop): ServiceDefinition {
  return defineService({
    name: 'Index',
    async initializing(ctx) {
      await ctx.subscribe(
        queue,
        recipeHandler(async (wrapper) => {
          const result = wrapper.payload as SpotResult;
          const outcome: Outcome = { ...result, route: 'indexed', cell: unitCell(result) };
          hop(wrapper, 'index', `${result.image}: cell ${outcome.cell!.join(' ')}`);
          await wrapper.send(outcome);
        }),
      );
    },
  });
}

/** Step "Skip": notes a frame with too few spots. */
export function skip(queue: string, hop: Hop): ServiceDefinition {
  return defineService({
    name: 'Skip',
    async initializing(ctx) {
      await ctx.subscribe(
        queue,
        recipeHandler(async (wrapper) => {
          const result = wrapper.payload as SpotResult;
          hop(wrapper, 'skip', `${result.image}: too few spots, not indexed`);
          await wrapper.send({ ...result, route: 'skipped' } satisfies Outcome);
        }),
      );
    },
  });
}

/** Step "Monitor": a broadcast every monitor sees (the fan-out of `hits` to a topic). */
export function monitor(topic: string, hop: Hop, seen: (result: SpotResult) => void): ServiceDefinition {
  return defineService({
    name: 'Monitor',
    async initializing(ctx) {
      await ctx.subscribeBroadcast(
        topic,
        recipeHandler((wrapper) => {
          const result = wrapper.payload as SpotResult;
          hop(wrapper, 'monitor', `${result.image}: hit seen`);
          seen(result);
        }),
        // It sends nothing: no transaction to pay for.
        { transaction: false },
      );
    },
  });
}

/** Step "Collect": the end of the recipe. */
export function collect(queue: string, hop: Hop, seen: (outcome: Outcome) => void): ServiceDefinition {
  return defineService({
    name: 'Collect',
    async initializing(ctx) {
      await ctx.subscribe(
        queue,
        recipeHandler((wrapper) => {
          const outcome = wrapper.payload as Outcome;
          hop(
            wrapper,
            'collect',
            `${outcome.image}: ${outcome.route} (path ${wrapper.recipePath.join(' -> ')})`,
          );
          seen(outcome);
        }),
      );
    },
  });
}
