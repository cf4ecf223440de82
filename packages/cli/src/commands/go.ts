/**
 * `zocalo go`: send a processing request to the Dispatcher (python-zocalo's `zocalo.go`). The
 * request is python-zocalo's — `{"recipes": [...], "parameters": {...}, "custom_recipe": {...}}` with
 * the headers `zocalo.go.user` and `zocalo.go.host` — and its recipe ID (`parameters.guid`) is
 * decided here so that it can be printed; the Dispatcher keeps it.
 */
import { writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { ProcessingRequest } from '@zocalo/dispatcher';
import { PROCESSING_QUEUE, processingRequest, recipeFile } from '@zocalo/dispatcher';
import type { RecipeDocument } from '@zocalo/recipes';
import { Recipe, pyRepr } from '@zocalo/recipes';
import type { MessageHeaders, Transport } from '@zocalo/workflows';
import { readRegularFile } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, oneLine, readProblem } from '../cli-error';
import type { CliIo } from '../io';
import { collect, parseParameters } from '../parameters';
import type { SiteOptions } from '../site';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';

/** What {@link go} sends. */
export interface GoOptions {
  /** Names of recipe files in the Dispatcher's recipe directory. */
  readonly recipes?: readonly string[];
  /** An inline recipe (python-zocalo validates it before sending; so do we). */
  readonly customRecipe?: RecipeDocument | Recipe;
  /** Recipe parameters; `guid` is the recipe ID (generated when absent). */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Default `processing_recipe`. */
  readonly queue?: string;
  /** Extra headers; `zocalo.go.user` and `zocalo.go.host` are always set. */
  readonly headers?: MessageHeaders;
}

/** The headers python-zocalo's `zocalo.go` sends with a request. */
export function goHeaders(): Record<string, string> {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no user name (a container without /etc/passwd entry)
  }
  return { 'zocalo.go.user': user, 'zocalo.go.host': hostname() };
}

/**
 * Send a processing request on a connected transport and return its recipe ID: the library form of
 * `zocalo go`. Throws a {@link CliError} when there is no recipe or the custom recipe is invalid.
 */
export async function go(
  transport: Transport,
  options: GoOptions,
): Promise<{ guid: string; request: ProcessingRequest }> {
  const recipes = options.recipes ?? [];
  let customRecipe: RecipeDocument | undefined;
  if (options.customRecipe !== undefined) {
    const recipe =
      options.customRecipe instanceof Recipe ? options.customRecipe : new Recipe(options.customRecipe);
    try {
      recipe.validate();
    } catch (error) {
      throw new CliError(oneLine(error), undefined, { cause: error });
    }
    customRecipe = recipe.toJSON();
  }
  if (recipes.length === 0 && customRecipe === undefined) throw new CliError('No recipes specified.');
  const { request, guid } = processingRequest({ recipes, customRecipe, parameters: options.parameters });
  await transport.send(options.queue ?? PROCESSING_QUEUE, request, {
    headers: { ...goHeaders(), ...options.headers },
  });
  return { guid, request };
}

/** Python's `print(list)`: `['a', 'b']`. */
export function pythonList(items: readonly string[]): string {
  return pyRepr(items);
}

interface GoCommandOptions extends SiteOptions {
  readonly recipe?: string[];
  readonly parameter?: string[];
  readonly set?: string[];
  readonly recipeFile?: string;
  readonly dcid?: string;
  readonly queue: string;
  readonly recipeDir?: string;
  readonly dryRun?: boolean;
  readonly drop?: boolean;
  readonly quiet?: boolean;
  readonly showMessage?: boolean;
}

/** Read and validate a recipe file (`-f`), as a one-line {@link CliError} when it is not one. */
export function readCustomRecipe(file: string): Recipe {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (error) {
    throw new CliError(`cannot read recipe file ${file}: ${readProblem(error)}`);
  }
  try {
    const recipe = new Recipe(text);
    recipe.validate();
    return recipe;
  } catch (error) {
    throw new CliError(`recipe file ${file}: ${oneLine(error)}`, undefined, { cause: error });
  }
}

/** Where recipes are known here, check that the named ones exist and are valid. */
function checkNamedRecipes(directory: string | undefined, names: readonly string[]): void {
  if (!directory) return;
  for (const name of names) {
    const file = recipeFile(directory, name);
    let text: string;
    try {
      text = readRegularFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CliError(`unknown recipe "${name}": there is no ${name}.json in ${directory}`);
      }
      throw new CliError(`cannot read recipe ${name} (${file}): ${readProblem(error)}`, undefined, {
        cause: error,
      });
    }
    try {
      new Recipe(text).validate();
    } catch (error) {
      throw new CliError(`recipe ${name} (${directory}): ${oneLine(error)}`, undefined, { cause: error });
    }
  }
}

/**
 * Store a request in the fallback location as python-zocalo's `zocalo.go` does (a file named by a
 * new UUID holding `{"headers": …, "message": …}`, for `zocalo pickup`) and return the line it prints.
 */
export function storeRequest(
  directory: string,
  headers: MessageHeaders,
  message: Readonly<Record<string, unknown>>,
  dryRun = false,
): string {
  const file = join(directory, randomUUID());
  if (dryRun) return `Not storing message in ${file} (running with --dry-run)`;
  writeFileSync(file, `${JSON.stringify({ headers, message }, null, 2)}\n`);
  return `Message successfully stored in ${file}`;
}

export function registerGo(program: Command, io: CliIo): void {
  const command = program
    .command('go')
    .summary('send a processing request for recipes to the Dispatcher; prints the recipe ID')
    .description(
      'Send a processing request to the Dispatcher (queue processing_recipe): named recipes from its ' +
        'recipe directory and/or a recipe file, with parameters. Prints the recipe ID (the guid).',
    )
    .argument('[recipes...]', 'names of recipes (files <name>.json in the recipe directory)')
    .option('-r, --recipe <name>', 'a recipe to run, as python-zocalo writes it (repeatable)', collect)
    .option(
      '-p, --parameter <key=value>',
      'a recipe parameter; KEY:=JSON for a typed value (repeatable)',
      collect,
    )
    .option('-s, --set <key=value>', 'the same as --parameter (python-zocalo)', collect)
    .option('-f, --recipe-file <file>', 'also run the recipe in this file (sent as custom_recipe)')
    .option('--dcid <id>', 'a data collection ID (sets the parameter ispyb_dcid)')
    .option('--queue <queue>', 'where to send the request', PROCESSING_QUEUE)
    .option(
      '--recipe-dir <dir>',
      'check the named recipes here first (default: storage zocalo.recipe_directory)',
    )
    .option('--dry-run', 'check everything, print the request, send nothing')
    .option('--drop', 'write the request to storage zocalo.go.fallback_location instead of sending it')
    .option('--show-message', 'print the request before sending it')
    .option('-q, --quiet', 'print only the recipe ID');
  addSiteOptions(command, { testHelp: 'activate the environment "test" (the test broker and namespace)' });
  command.action(async (names: string[], options: GoCommandOptions) => {
    const recipes = [...names, ...(options.recipe ?? [])];
    const parameters = parseParameters([...(options.parameter ?? []), ...(options.set ?? [])]);
    if (options.dcid !== undefined) {
      const dcid = Number(options.dcid);
      if (!Number.isInteger(dcid) || dcid <= 0)
        throw new CliError(`Invalid data collection ID ${options.dcid}`);
      parameters.ispyb_dcid = dcid;
    }
    const custom = options.recipeFile === undefined ? undefined : readCustomRecipe(options.recipeFile);
    if (recipes.length === 0 && custom === undefined) throw new CliError('No recipes specified.');

    const site = loadSite(io, 'zocalo.go', options, undefined, { sendsAndExits: true });
    const storage = site.configuration.storage;
    const recipeDirectory = options.recipeDir ?? (storage['zocalo.recipe_directory'] as string | undefined);
    checkNamedRecipes(recipeDirectory, recipes);

    const { request, guid } = processingRequest({
      recipes,
      customRecipe: custom?.toJSON(),
      parameters,
    });
    const say = (line: string): void => {
      if (!options.quiet) io.stdout(`${line}\n`);
    };
    if (recipes.length > 0) say(`Running recipes ${pythonList(recipes)}`);
    if (options.recipeFile) say(`Running recipe from file ${options.recipeFile}`);
    if (options.showMessage || options.dryRun) io.stdout(`${JSON.stringify(request, null, 2)}\n`);

    const headers = goHeaders();
    const fallback = storage['zocalo.go.fallback_location'];
    const drop = (): void => {
      if (typeof fallback !== 'string' || fallback === '') {
        throw new CliError('--drop needs storage zocalo.go.fallback_location in the site configuration');
      }
      say(storeRequest(fallback, headers, request, options.dryRun));
    };
    if (options.drop) drop();
    else if (options.dryRun) say('Not sending message (running with --dry-run)');
    else {
      let transport: Transport | undefined;
      try {
        transport = await site.connect();
        await transport.send(options.queue, request, { headers });
      } catch (error) {
        if (typeof fallback !== 'string' || fallback === '') {
          throw error instanceof CliError
            ? error
            : new CliError(`could not send the request: ${oneLine(error)}`, EXIT_FAILURE);
        }
        io.stderr(
          `zocalo go: could not send the request (${oneLine(error)}); storing it in the fallback location\n`,
        );
        drop();
      } finally {
        await disconnectQuietly(transport, site.logger);
      }
    }
    if (options.quiet) io.stdout(`${guid}\n`);
    else if (options.dryRun) say(`Not submitted (--dry-run). Recipe ID would be: ${guid}`);
    else say(`Submitted. Recipe ID: ${guid}`);
  });
}
