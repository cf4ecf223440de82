/**
 * Schlockmeister as the `zocalo service Schlockmeister` command starts it. This package declares it in its
 * package.json, as python-zocalo declares services as entry points:
 *
 * ```json
 * "zocalo": { "workflows.services": { "Schlockmeister": "createSchlockmeister" } }
 * ```
 *
 * Settings come from the site configuration's `storage` (or `-s key=value` on the command line, which
 * gives text, so numbers, lists and flags are read from text too): `zocalo.schlockmeister.limit`,
 * `.ignore`, `.include`, `.queues`, `.idle_timeout`, `.scan_interval`, `.discover`, `.exclusive`,
 * `.dry_run`. On RabbitMQ the management API is found from a `rabbitmqapi` block (python-zocalo's
 * `base_url`, `username`, `password`), else the AMQP host on port 15672 with the AMQP login.
 */
import type { Logger, ServiceDefinition } from '@zocalo/workflows';
import { settingText, splitUrlCredentials } from '@zocalo/workflows';
import type { RabbitManagementOptions } from '@zocalo/rabbitmq-management';
import type { SchlockmeisterServiceOptions } from './service';
import { schlockmeisterService } from './service';
import { SchlockmeisterConfigurationError, schlockmeisterSettings } from './settings';

/** Storage keys start with this; the rest is the settings key (`limit`, `idle_timeout`, ...). */
export const STORAGE_PREFIX = 'zocalo.schlockmeister.';

/** What the command line hands a service factory (only what Schlockmeister uses). */
export interface SchlockmeisterFactoryContext {
  readonly storage?: Readonly<Record<string, unknown>>;
  readonly configuration?: {
    readonly blocks: Readonly<Record<string, { readonly plugin: string; readonly [key: string]: unknown }>>;
    readonly transport: { readonly settings: Readonly<Record<string, unknown>> };
  };
  readonly logger?: Logger;
}

const LISTS = new Set(['ignore', 'include', 'queues']);

/** A storage value given as text (`-s zocalo.schlockmeister.limit=3`) read as the setting's type. */
function fromText(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (LISTS.has(key)) {
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }
  if (value === 'true' || value === 'false') return value === 'true';
  const number = Number(value);
  return value.trim() !== '' && Number.isFinite(number) ? number : value;
}

/** The `zocalo.schlockmeister.*` storage keys as a settings block (values read from text as needed). */
export function storageBlock(storage: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const block: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(storage)) {
    if (!name.startsWith(STORAGE_PREFIX)) continue;
    const key = name.slice(STORAGE_PREFIX.length);
    block[key] = fromText(key, value);
  }
  return block;
}

/**
 * The RabbitMQ management API of a site: a `rabbitmqapi` block (python-zocalo's `base_url`, `username`,
 * `password`), else `http://<first AMQP host>:15672` with the AMQP login and vhost.
 */
export function managementFromSite(
  blocks: Readonly<Record<string, { readonly plugin: string; readonly [key: string]: unknown }>>,
  transportSettings: Readonly<Record<string, unknown>>,
): RabbitManagementOptions {
  const block = Object.values(blocks).find((entry) => entry.plugin === 'rabbitmqapi') ?? { plugin: '' };
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const host = (settingText(transportSettings, ['host', '--rabbit-host', 'rabbit-host']) ?? 'localhost')
    .split(',')[0]
    .trim();
  const url = splitUrlCredentials(text(block.base_url) ?? `http://${host}:15672`);
  return {
    url: url.url.replace(/\/api\/?$/, ''),
    username:
      text(block.username) ??
      url.username ??
      settingText(transportSettings, ['username', 'user', '--rabbit-user', 'rabbit-user']),
    password:
      text(block.password) ??
      url.password ??
      settingText(transportSettings, ['password', 'pass', '--rabbit-pass', 'rabbit-pass']),
    vhost: settingText(transportSettings, ['vhost', '--rabbit-vhost', 'rabbit-vhost']),
  };
}

/** Make the Schlockmeister service from the site configuration. */
export function createSchlockmeister(context: SchlockmeisterFactoryContext = {}): ServiceDefinition {
  const { dry_run: dryRun, ...block } = storageBlock(context.storage ?? {});
  if (dryRun !== undefined && typeof dryRun !== 'boolean') {
    throw new SchlockmeisterConfigurationError(
      `schlockmeister configuration: dry_run must be true or false, not ${JSON.stringify(dryRun)}`,
    );
  }
  const options: SchlockmeisterServiceOptions = {
    ...schlockmeisterSettings(block),
    dryRun,
    management: context.configuration
      ? managementFromSite(context.configuration.blocks, context.configuration.transport.settings)
      : undefined,
  };
  return schlockmeisterService(options);
}
