/**
 * Schlockmeister settings from a block of the site configuration, e.g.
 *
 * ```yaml
 * schlockmeister:
 *   limit: 5
 *   ignore: [scratch.*]
 *   include: [zocalo.*]
 *   queues: [processing_recipe]
 *   idle_timeout: 15
 *   scan_interval: 5
 * ```
 */
import { ZocaloError } from '@zocalo/workflows';
import { SCHLOCKMEISTER_ERROR_CODES } from './errors';
import type { SchlockmeisterOptions } from './schlockmeister';

export type SchlockmeisterSettings = Pick<
  SchlockmeisterOptions,
  'limit' | 'ignore' | 'include' | 'queues' | 'idleTimeout' | 'scanInterval' | 'discover' | 'exclusive'
>;

/** A setting of Schlockmeister's configuration block has a value it cannot use; the message says which. */
export class SchlockmeisterConfigurationError extends ZocaloError {
  static override readonly code: string = SCHLOCKMEISTER_ERROR_CODES.SchlockmeisterConfigurationError;
}

function number(block: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = block[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SchlockmeisterConfigurationError(
      `schlockmeister configuration: ${key} must be a positive number, not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function strings(block: Readonly<Record<string, unknown>>, key: string): string[] | undefined {
  const value = block[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return value;
  throw new SchlockmeisterConfigurationError(
    `schlockmeister configuration: ${key} must be a string or a list of strings`,
  );
}

function flag(block: Readonly<Record<string, unknown>>, key: string): boolean | undefined {
  const value = block[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean')
    throw new SchlockmeisterConfigurationError(`schlockmeister configuration: ${key} must be true or false`);
  return value;
}

/** Reads and checks the settings; absent keys keep Schlockmeister's defaults. */
export function schlockmeisterSettings(block: Readonly<Record<string, unknown>>): SchlockmeisterSettings {
  const limit = number(block, 'limit');
  if (limit !== undefined && !Number.isInteger(limit)) {
    throw new SchlockmeisterConfigurationError(
      `schlockmeister configuration: limit must be an integer, not ${limit}`,
    );
  }
  const settings: Record<string, unknown> = {
    limit,
    ignore: strings(block, 'ignore'),
    include: strings(block, 'include'),
    queues: strings(block, 'queues'),
    idleTimeout: number(block, 'idle_timeout'),
    scanInterval: number(block, 'scan_interval'),
    discover: flag(block, 'discover'),
    exclusive: flag(block, 'exclusive'),
  };
  for (const key of Object.keys(settings)) if (settings[key] === undefined) delete settings[key];
  return settings as SchlockmeisterSettings;
}
