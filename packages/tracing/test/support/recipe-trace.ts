/**
 * The recipe of the trace tests (three steps after the Dispatcher) and what its trace must look like.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '@zocalo/test-brokers';
import type { ReceivedSpan } from '@zocalo/test-brokers';

export const DCID = 4242;
export const STEP_NAMES = ['StepOne', 'StepTwo', 'StepThree'] as const;

export interface RecipeSetup {
  readonly dispatcherQueue: string;
  readonly stepQueues: readonly string[];
  readonly recipeDirectory: string;
  readonly recipeName: string;
}

/** Unique queues and a recipe file `Dispatcher → StepOne → StepTwo → StepThree`. */
export function recipeSetup(prefix: string): RecipeSetup {
  const dispatcherQueue = uniqueName(`${prefix}.dispatcher`);
  const stepQueues = STEP_NAMES.map((name) => uniqueName(`${prefix}.${name}`));
  const recipeDirectory = mkdtempSync(join(tmpdir(), 'zocalo-trace-'));
  const recipeName = 'three-steps';
  const recipe: Record<string, unknown> = { start: [[1, []]] };
  stepQueues.forEach((queue, index) => {
    recipe[String(index + 1)] = {
      service: STEP_NAMES[index],
      queue,
      parameters: { dcid: '{ispyb_dcid}' },
      ...(index < stepQueues.length - 1 ? { output: index + 2 } : {}),
    };
  });
  writeFileSync(join(recipeDirectory, `${recipeName}.json`), JSON.stringify(recipe));
  return { dispatcherQueue, stepQueues, recipeDirectory, recipeName };
}

/** The processing request that starts the recipe. */
export function request(setup: RecipeSetup): Record<string, unknown> {
  return { recipes: [setup.recipeName], parameters: { ispyb_dcid: DCID } };
}

/** The processing span of each step, once the last one has been received. */
export function processingSpans(
  spans: readonly ReceivedSpan[],
  setup: RecipeSetup,
): ReceivedSpan[] | undefined {
  const channels = [setup.dispatcherQueue, ...setup.stepQueues];
  const found = channels.map((channel) =>
    spans.find((span) => span.name === 'transport.subscribe' && span.attributes.channel === channel),
  );
  return found.every((span) => span !== undefined) ? (found as ReceivedSpan[]) : undefined;
}

/** The chain of spans from `span` up to its root (or to a parent not received). */
export function ancestry(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  const chain = [span];
  let current = span;
  while (current.parentSpanId && byId.has(current.parentSpanId) && chain.length < 100) {
    current = byId.get(current.parentSpanId)!;
    chain.push(current);
  }
  return chain;
}

/**
 * Check the trace of one recipe run: one trace id; the Dispatcher's span carries the recipe ID and
 * DCID; each step's processing span is the child of the `transport.send` span that sent its message,
 * which is itself under the previous step's processing span; every span names its service.
 */
export function expectOneRecipeTrace(
  spans: readonly ReceivedSpan[],
  setup: RecipeSetup,
  /** The span the request was sent in, if any. */
  parentSpanId = '',
): void {
  const steps = processingSpans(spans, setup);
  expect(steps).toBeDefined();
  const [dispatcher, ...rest] = steps!;
  const traceId = dispatcher.traceId;
  expect(dispatcher.parentSpanId).toBe(parentSpanId);
  expect(dispatcher.attributes).toMatchObject({ service_name: 'Dispatcher', dcid: DCID });
  const recipeId = dispatcher.attributes.recipe_id;
  expect(typeof recipeId).toBe('string');
  rest.forEach((step, index) => {
    expect(step.traceId).toBe(traceId);
    expect(step.attributes).toMatchObject({
      service_name: STEP_NAMES[index],
      channel: setup.stepQueues[index],
      recipe_id: recipeId,
    });
    const chain = ancestry(spans, step);
    const sender = chain[1];
    expect(sender).toMatchObject({ name: 'transport.send', traceId });
    expect(sender.attributes).toMatchObject({ destination: setup.stepQueues[index], recipe_id: recipeId });
    const previous = index === 0 ? dispatcher : rest[index - 1];
    expect(chain.map((span) => span.spanId)).toContain(previous.spanId);
    expect(sender.attributes.service_name).toBe(previous.attributes.service_name);
  });
  // Nothing of this recipe started a trace of its own.
  const ofRecipe = spans.filter((span) => span.attributes.recipe_id === recipeId);
  expect(new Set(ofRecipe.map((span) => span.traceId))).toEqual(new Set([traceId]));
}
