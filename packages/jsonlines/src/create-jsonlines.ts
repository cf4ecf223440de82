/**
 * JSONLines as the `zocalo service JSONLines` command starts it. python-zocalo's JSONLines reads no
 * configuration (each recipe step names its file); this package declares it in its package.json, as
 * python-zocalo declares services as entry points:
 *
 * ```json
 * "zocalo": { "workflows.services": { "JSONLines": "createJsonLines" } }
 * ```
 */
import { JSONLines } from './jsonlines';

/** Storage keys JSONLines reads (ours: python-zocalo's has none). */
export const JSONLINES_STORAGE_KEYS = Object.freeze({
  /** The queue to listen on instead of `jsonlines` (for test namespaces). */
  queue: 'zocalo.jsonlines.queue',
});

/** What the command line hands a service factory (only what JSONLines uses is listed). */
export interface JsonLinesFactoryContext {
  /** The site configuration's `storage` (with any command-line overrides). */
  readonly storage?: Readonly<Record<string, unknown>>;
}

/** Make the JSONLines service from the site configuration. */
export function createJsonLines(context: JsonLinesFactoryContext = {}): JSONLines {
  const queue = context.storage?.[JSONLINES_STORAGE_KEYS.queue];
  return new JSONLines({ queue: typeof queue === 'string' && queue !== '' ? queue : undefined });
}
