/**
 * The Dispatcher as the `zocalo service` command starts it: settings from the site configuration's
 * `storage` (python-zocalo's keys) and site plugins from installed packages (python-zocalo's entry
 * points). This package declares it in its package.json:
 *
 * ```json
 * "zocalo": { "workflows.services": { "Dispatcher": "createDispatcher" } }
 * ```
 */
import type { ValidateOptions } from '@zocalo/recipes';
import type { Logger } from '@zocalo/workflows';
import { Dispatcher } from './dispatcher';
import type { DispatcherFilter } from './filters';
import { STANDARD_FILTERS } from './filters';
import type { ReadinessHook } from './readiness';

/** Storage keys the Dispatcher reads, as python-zocalo names them. */
export const STORAGE_KEYS = Object.freeze({
  recipeDirectory: 'zocalo.recipe_directory',
  logbook: 'zocalo.dispatcher.logbook_location',
  /** Ours: `python` validates recipes with python-workflows' rules only. */
  validation: 'zocalo.dispatcher.validation',
  /** Ours: the queue to listen on instead of `processing_recipe` (for test namespaces). */
  queue: 'zocalo.dispatcher.queue',
});

/** Entry-point groups of site plugins, as python-zocalo names them. */
export const ENTRY_POINT_GROUPS = Object.freeze({
  filters: 'zocalo.services.dispatcher.filters',
  readiness: 'zocalo.services.dispatcher.ready_for_processing',
});

/** An entry point found in an installed package: its name and the value it exports. */
export interface LoadedEntryPoint {
  readonly name: string;
  readonly value: unknown;
}

/** What the command line hands a service factory (only what the Dispatcher uses is listed). */
export interface DispatcherFactoryContext {
  /** The site configuration's `storage` (with any command-line overrides). */
  readonly storage?: Readonly<Record<string, unknown>>;
  readonly logger?: Logger;
  /** Load the entry points of a group from installed packages. */
  readonly loadEntryPoints?: (group: string) => Promise<readonly LoadedEntryPoint[]>;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function functions<T>(entries: readonly LoadedEntryPoint[], group: string, logger?: Logger): T[] {
  const found: T[] = [];
  for (const entry of entries) {
    if (typeof entry.value === 'function') found.push(entry.value as T);
    else
      logger?.warn(
        { group, entryPoint: entry.name },
        `entry point ${entry.name} of ${group} is not a function; ignored`,
      );
  }
  return found;
}

/** Make the Dispatcher from the site configuration. */
export async function createDispatcher(context: DispatcherFactoryContext = {}): Promise<Dispatcher> {
  const storage = context.storage ?? {};
  const load = context.loadEntryPoints ?? (async () => []);
  const filters = functions<DispatcherFilter>(
    await load(ENTRY_POINT_GROUPS.filters),
    ENTRY_POINT_GROUPS.filters,
    context.logger,
  );
  const readiness = functions<ReadinessHook>(
    await load(ENTRY_POINT_GROUPS.readiness),
    ENTRY_POINT_GROUPS.readiness,
    context.logger,
  );
  const validation = storage[STORAGE_KEYS.validation] === 'python' ? 'python' : 'full';
  return new Dispatcher({
    recipeDirectory: text(storage[STORAGE_KEYS.recipeDirectory]),
    logbook: text(storage[STORAGE_KEYS.logbook]),
    queue: text(storage[STORAGE_KEYS.queue]),
    filters: [...filters, ...STANDARD_FILTERS],
    readiness,
    validation: validation satisfies NonNullable<ValidateOptions['level']>,
  });
}
