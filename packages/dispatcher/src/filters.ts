/**
 * Dispatcher filters: the steps that turn a processing request into one recipe, run in order on a
 * copy of the request (python-zocalo's `message_filters`). The standard ones, in python-zocalo's
 * order, are {@link loadCustomRecipe}, {@link loadRecipesFromFiles} and {@link applyParameters};
 * site filters go before them (Python's entry points `zocalo.services.dispatcher.filters` do too).
 * A filter that throws gets the request rejected, with the filter's name and the error's message.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Recipe } from '@zocalo/recipes';
import type { ValidateOptions } from '@zocalo/recipes';
import type { Logger, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { NotARegularFileError, readRegularFileAsync } from '@zocalo/workflows';
import { DispatchError } from './errors';

/** What filters work on: copies of the request and its parameters, and the recipe being built. */
export interface FilterState {
  /** A deep copy of the request (`recipes`, `custom_recipe`, `parameters`, anything else). */
  readonly message: Record<string, unknown>;
  /** A deep copy of the parameters, `guid` set. Filters may add to them. */
  readonly parameters: Record<string, unknown>;
  /** The recipe to start; empty at first. Filters merge into it (`state.recipe = state.recipe.merge(x)`). */
  recipe: Recipe;
}

/** What filters may use besides the request. */
export interface FilterContext {
  /** Where named recipes are (storage `zocalo.recipe_directory`). */
  readonly recipeDirectory: string | undefined;
  /** Validation level for the recipes loaded: `full` (ours, the default) or `python`. */
  readonly validation: NonNullable<ValidateOptions['level']>;
  /** The Dispatcher's logger with the request's `recipe_ID`. */
  readonly logger: Logger;
  readonly header: ReceivedHeaders;
  readonly transport: Transport;
}

/** One filter. Its function name is what a rejection names (Python names the entry point). */
export type DispatcherFilter = (state: FilterState, context: FilterContext) => void | Promise<void>;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Load the request's `custom_recipe` (an inline recipe: an object, or its JSON text, which python-zocalo's
 * `Recipe()` also takes) and merge it in.
 */
export function loadCustomRecipe(state: FilterState, context: FilterContext): void {
  const custom = state.message.custom_recipe;
  if (custom === undefined || custom === null || custom === '' || custom === false) return;
  let recipe: Recipe;
  try {
    if (typeof custom !== 'string' && (typeof custom !== 'object' || Array.isArray(custom))) {
      throw new Error(`expected a JSON object, got ${Array.isArray(custom) ? 'a list' : typeof custom}`);
    }
    recipe = new Recipe(custom);
  } catch (error) {
    throw new DispatchError(`Error reading custom recipe: ${describe(error)}`, { cause: error });
  }
  context.logger.info({ custom_recipe: custom }, 'Received message containing a custom recipe');
  try {
    recipe.validate({ level: context.validation });
  } catch (error) {
    throw new DispatchError(`Custom recipe failed validation. ${describe(error)}`, { cause: error });
  }
  state.recipe = state.recipe.merge(recipe, { level: context.validation });
}

/** The file of a named recipe, refusing names that would leave the recipe directory. */
export function recipeFile(directory: string, name: string): string {
  const file = resolve(directory, `${name}.json`);
  const inside = relative(resolve(directory), file);
  if (name === '' || inside.startsWith('..') || isAbsolute(inside) || name.includes('\0')) {
    throw new DispatchError(`Message references invalid recipe name ${JSON.stringify(name)}`);
  }
  return join(directory, `${name}.json`);
}

/** Read, load and validate the named recipe `name` of the recipe directory. */
async function loadNamedRecipe(directory: string, name: string, context: FilterContext): Promise<Recipe> {
  const file = recipeFile(directory, name);
  let text: string;
  try {
    // A FIFO would hold a thread of libuv's pool (and the request) for good: refused unread.
    text = await readRegularFileAsync(file);
  } catch (error) {
    if (error instanceof NotARegularFileError) {
      throw new DispatchError(`Message references recipe ${name}, but ${error.message}`, {
        cause: error,
      });
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DispatchError(`Message references non-existing recipe ${name}. Recipe path is ${directory}`, {
        cause: error,
      });
    }
    throw error;
  }
  let recipe: Recipe;
  try {
    recipe = new Recipe(text);
  } catch (error) {
    throw new DispatchError(`Error reading recipe ${name}: ${describe(error)}`, { cause: error });
  }
  try {
    recipe.validate({ level: context.validation });
  } catch (error) {
    throw new DispatchError(`Named recipe ${name} failed validation. ${describe(error)}`, { cause: error });
  }
  return recipe;
}

/**
 * Load each recipe named in the request's `recipes` from the recipe directory and merge them in, in
 * order. A name given many times is read and validated once, and all are merged in one pass: merged
 * one at a time, as python-zocalo does, a request naming a recipe 20,000 times would hold the
 * Dispatcher for hours (each merge validates and copies all merged before it).
 */
export async function loadRecipesFromFiles(state: FilterState, context: FilterContext): Promise<void> {
  const names = state.message.recipes ?? [];
  if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
    throw new DispatchError(`"recipes" must be a list of recipe names, got ${JSON.stringify(names)}`);
  }
  if (names.length === 0) return;
  const directory = context.recipeDirectory;
  if (!directory) {
    throw new DispatchError(
      `Message references recipes ${names.join(', ')}, but no recipe directory is configured ` +
        `(storage zocalo.recipe_directory)`,
    );
  }
  const loaded = new Map<string, Recipe>();
  const recipes: Recipe[] = [state.recipe];
  for (const name of names as string[]) {
    let recipe = loaded.get(name);
    if (recipe === undefined) {
      recipe = await loadNamedRecipe(directory, name, context);
      loaded.set(name, recipe);
    }
    recipes.push(recipe);
  }
  state.recipe = Recipe.mergeAll(recipes, { level: context.validation });
}

/** Fill in the `{name}` placeholders of the merged recipe from the parameters: once, here. */
export function applyParameters(state: FilterState): void {
  state.recipe = state.recipe.applyParameters(state.parameters);
}

/** python-zocalo's own filters, in its order. */
export const STANDARD_FILTERS: readonly DispatcherFilter[] = Object.freeze([
  loadCustomRecipe,
  loadRecipesFromFiles,
  applyParameters,
]);
