/**
 * The recipes view: the recipe files of the site's recipe directory (storage
 * `zocalo.recipe_directory`), each drawn by @zocalo/recipes' `toSvg` (what `zocalo recipe graph
 * --format svg` prints), and the start form, which sends the processing request `zocalo go` sends
 * (@zocalo/dispatcher's `processingRequest` to `processing_recipe`, with `zocalo.go.user` / `.host`).
 */
import { readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { PROCESSING_QUEUE, processingRequest, recipeFile } from '@zocalo/dispatcher';
import { Recipe, toSvg } from '@zocalo/recipes';
import type { Logger, Transport } from '@zocalo/workflows';
import { readRegularFileAsync } from '@zocalo/workflows';
import type { Actor } from './dead-letters';

/** A recipe file as the page lists it. */
export interface RecipeEntry {
  readonly name: string;
  readonly steps?: number;
  /** Why it cannot be drawn or started. */
  readonly error?: string;
}

const NAME = /^[\w.-]+$/;

export class Recipes {
  constructor(
    readonly directory: string,
    private readonly transport: Transport,
    private readonly logger: Logger,
  ) {}

  private async load(name: string): Promise<Recipe> {
    if (!NAME.test(name)) throw new Error(`no recipe ${name}`);
    const recipe = new Recipe(await readRegularFileAsync(recipeFile(this.directory, name)));
    recipe.validate();
    return recipe;
  }

  async list(): Promise<RecipeEntry[]> {
    const files = (await readdir(this.directory).catch(() => [] as string[]))
      .filter((file) => file.endsWith('.json') && NAME.test(file.slice(0, -5)))
      .sort();
    return Promise.all(
      files.map(async (file) => {
        const name = file.slice(0, -5);
        try {
          return { name, steps: (await this.load(name)).stepNumbers.length };
        } catch (error) {
          return { name, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
  }

  async svg(name: string): Promise<string> {
    return toSvg(await this.load(name));
  }

  /** Send the `zocalo go` request for a recipe; resolves with its recipe ID. */
  async start(name: string, parameters: Readonly<Record<string, unknown>>, actor: Actor): Promise<string> {
    await this.load(name);
    const { request, guid } = processingRequest({ recipes: [name], parameters });
    await this.transport.send(PROCESSING_QUEUE, request, {
      headers: { 'zocalo.go.user': actor.who, 'zocalo.go.host': hostname() },
    });
    this.logger.info(
      { action: 'go', who: actor.who, from: actor.from, recipe: name, guid, parameters },
      `dashboard: ${actor.who} started recipe ${name} (${guid})`,
    );
    return guid;
  }
}
