/**
 * The plugins a site configuration block can name (`plugin: stomp`, ...), each with the schema of its
 * block and what activating the block does: python-zocalo's `zocalo.configuration.plugins` entry
 * points (graylog, logging, storage, rabbitmqapi, jmx, smtp) and python-workflows' (`transport`, and
 * one per transport: `stomp`, `pika`, made from the transport's descriptor, as are the blocks of
 * `memory` and of third-party transports). A block naming any other plugin is kept and warned about,
 * as in Python. A name none of these has is looked for among installed packages, which declare their
 * plugins in package.json as python-zocalo's packages declare `zocalo.configuration.plugins` entry
 * points: `"zocalo": { "configurationPlugins": { "ispyb": "ispybPlugin" } }`.
 */
import { dirname } from 'node:path';
import type { SchemaObject } from 'ajv';
import type {
  EntryPoint,
  EntryPointSearch,
  TransportDescriptor,
  TransportSettingType,
  TransportSettings,
} from '@zocalo/workflows';
import {
  CONFIGURATION_PLUGINS_GROUP,
  PluginLoadError,
  findEntryPoints,
  loadEntryPointSync,
  plainTransportName,
} from '@zocalo/workflows';
import type { GraylogSettings } from './graylog-settings';
import type { LoggingSettings } from './logging-plugin';
import { LEVEL_SCHEMA, loggingFromBlock, mergeLogging } from './logging-plugin';
import { compile } from './schema';
import { SLURM_PLUGIN_NAMES, slurmPlugin } from './slurm-settings';
import { OPENTELEMETRY_PLUGIN, opentelemetryPlugin } from './opentelemetry-settings';
import { knownTransport, knownTransports } from './transports';

/** A plugin block as written in the file: `plugin:` and the plugin's own keys. */
export interface PluginBlock {
  readonly plugin: string;
  readonly [key: string]: unknown;
}

/** What the activated blocks contribute, built up in activation order (later blocks win). */
export interface PluginState {
  /** Transport settings by transport name (`stomp`, `amqp`, `memory`). */
  readonly transports: Record<string, TransportSettings>;
  /** Set by a `transport` block (`default: PikaTransport`). */
  defaultTransport?: string;
  logging?: LoggingSettings;
  readonly graylog: GraylogSettings[];
  readonly storage: Record<string, unknown>;
  /** The value each plugin's activation gave, by plugin name (python-zocalo's `zc.<plugin>`). */
  readonly results: Record<string, unknown>;
}

/** A configuration plugin: the schema of its blocks and what activating one does. */
export interface ConfigurationPlugin {
  /** JSON schema of a block (its `plugin` key included); extra keys are allowed, as in Python. */
  readonly schema: SchemaObject;
  /** Apply an activated block; the return value becomes `configuration.plugins[<plugin name>]`. */
  activate(block: PluginBlock, state: PluginState): unknown;
}

function withoutPlugin(block: PluginBlock): Record<string, unknown> {
  const { plugin: _plugin, ...settings } = block;
  return settings;
}

const port = {
  type: ['integer', 'string'],
  minimum: 1,
  maximum: 65535,
  pattern: '^\\s*\\d+\\s*$',
  description: 'a port number (1-65535)',
};
const text = { type: ['string', 'number'], description: 'a string' };

/** The transport name python-workflows' class names and python-zocalo's plugin names stand for. */
export function canonicalTransportName(name: string): string {
  return knownTransport(name)?.name ?? plainTransportName(name);
}

/** Turn a numeric string into a number; leave anything else as it is. */
function numeric(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
}

/** The JSON schema of a transport setting's key in a configuration block, by its type. */
const SETTING_SCHEMAS: Readonly<Record<TransportSettingType, SchemaObject>> = {
  string: { type: 'string' },
  text,
  port,
  hosts: { type: ['string', 'array'], items: { type: 'string' } },
  ports: {
    type: ['integer', 'string', 'array'],
    items: { type: 'integer', minimum: 1, maximum: 65535 },
    // Text is one port or a comma-separated list (`61701,61702`), as on the command line.
    pattern: '^\\s*\\d+\\s*(,\\s*\\d+\\s*)*$',
    description: 'a port number (1-65535) or a list of them',
  },
  count: { type: 'integer', minimum: 1 },
};

/** A setting's value as its type reads it: numbers for ports, text for text. */
export function settingValue(type: TransportSettingType, value: unknown): unknown {
  if (type === 'port' || type === 'ports') return numeric(value);
  if (type === 'text' && typeof value === 'number') return String(value);
  return value;
}

/**
 * The configuration plugin of a transport (python-workflows' `stomp` and `pika`): its block's schema
 * from the descriptor's settings and schema piece, and activating it sets the transport's settings.
 */
function transportPlugin(descriptor: TransportDescriptor): ConfigurationPlugin {
  const settings = descriptor.settings ?? [];
  const properties: Record<string, SchemaObject> = { ...descriptor.configurationSchema };
  for (const setting of settings) properties[setting.key] = SETTING_SCHEMAS[setting.type];
  return {
    schema: {
      type: 'object',
      required: ['plugin'],
      properties: { plugin: { type: 'string' }, ...properties },
    },
    activate(block, state) {
      const values = withoutPlugin(block);
      for (const setting of settings)
        if (setting.key in values) values[setting.key] = settingValue(setting.type, values[setting.key]);
      state.transports[descriptor.name] = values;
      return values;
    },
  };
}

/** One plugin object per descriptor, so that its compiled schema is cached. */
const transportPlugins = new WeakMap<TransportDescriptor, ConfigurationPlugin>();

/** python-workflows' `transport` plugin: `default: PikaTransport` picks the transport. */
const transport: ConfigurationPlugin = {
  schema: {
    type: 'object',
    required: ['plugin', 'default'],
    properties: { plugin: { type: 'string' }, default: { type: 'string', minLength: 1 } },
  },
  activate(block, state) {
    state.defaultTransport = canonicalTransportName(String(block.default));
    return state.defaultTransport;
  },
};

/** python-zocalo's `storage` plugin: free-form keys, later blocks updating earlier ones. */
const storage: ConfigurationPlugin = {
  schema: { type: 'object', required: ['plugin'], properties: { plugin: { type: 'string' } } },
  activate(block, state) {
    Object.assign(state.storage, withoutPlugin(block));
    return state.storage;
  },
};

/** python-zocalo's `graylog` plugin (deprecated there in favour of `logging` handlers; both work here). */
const graylog: ConfigurationPlugin = {
  schema: {
    type: 'object',
    required: ['plugin', 'protocol', 'host', 'port'],
    properties: {
      plugin: { type: 'string' },
      protocol: { enum: ['UDP', 'TCP', 'udp', 'tcp'] },
      host: { type: 'string', minLength: 1 },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'a port number (1-65535)' },
      level: LEVEL_SCHEMA,
      compress: { type: 'boolean' },
      chunkSize: { type: 'integer', minimum: 64, maximum: 8192 },
    },
  },
  activate(block, state) {
    const settings = {
      ...withoutPlugin(block),
      protocol: String(block.protocol).toUpperCase(),
    } as unknown as GraylogSettings;
    state.graylog.push(settings);
    return settings;
  },
};

/** python-zocalo's `logging` plugin: levels (Python names or pino names) and Graylog handlers. */
const logging: ConfigurationPlugin = {
  schema: {
    type: 'object',
    required: ['plugin'],
    properties: {
      plugin: { type: 'string' },
      level: LEVEL_SCHEMA,
      incremental: { type: 'boolean' },
      root: {
        type: 'object',
        properties: { level: LEVEL_SCHEMA, handlers: { type: 'array', items: { type: 'string' } } },
      },
      loggers: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          properties: { level: LEVEL_SCHEMA, handlers: { type: 'array', items: { type: 'string' } } },
        },
      },
      handlers: { type: 'object', additionalProperties: { type: 'object' } },
      verbose: { type: 'array', items: { type: 'object' } },
    },
  },
  activate(block, state) {
    const settings = loggingFromBlock(withoutPlugin(block));
    state.logging =
      block.incremental === true && state.logging ? mergeLogging(state.logging, settings) : settings;
    return state.logging;
  },
};

/** A plugin whose block is only data for a service to read (`configuration.plugins.<name>`). */
function dataPlugin(
  required: readonly string[],
  properties: Record<string, SchemaObject>,
  defaults: Record<string, unknown> = {},
): ConfigurationPlugin {
  return {
    schema: {
      type: 'object',
      required: ['plugin', ...required],
      properties: { plugin: { type: 'string' }, ...properties },
    },
    activate: (block) => ({ ...defaults, ...withoutPlugin(block) }),
  };
}

/**
 * python-zocalo's `smtp` plugin, the mail relay of the Mailer (`@zocalo/mailer`): `host` and `port`
 * required, `from` (the default sender) an e-mail address, as its marshmallow schema has them. The
 * port is read as a number also when written as text (`"25"`), as marshmallow reads it.
 */
const smtp: ConfigurationPlugin = {
  schema: {
    type: 'object',
    required: ['plugin', 'host', 'port'],
    properties: {
      plugin: { type: 'string' },
      host: { type: 'string', minLength: 1 },
      port,
      from: { type: 'string', pattern: '^[^@\\s<>"]+@[^@\\s<>"]+$', description: 'an e-mail address' },
    },
  },
  activate: (block) => ({ ...withoutPlugin(block), port: numeric(block.port) }),
};

const plugins = new Map<string, ConfigurationPlugin>([
  ['transport', transport],
  ['storage', storage],
  ['graylog', graylog],
  ['logging', logging],
  [OPENTELEMETRY_PLUGIN, opentelemetryPlugin],
  // The RabbitMQ management API (Schlockmeister, dlq tools): base_url, username, password, vhost.
  [
    'rabbitmqapi',
    dataPlugin(
      ['base_url', 'username', 'password'],
      { base_url: { type: 'string' }, username: text, password: text, vhost: { type: 'string' } },
      { vhost: '/' },
    ),
  ],
  // ActiveMQ's Jolokia JMX API (queue statistics).
  [
    'jmx',
    dataPlugin(['host', 'port', 'base_url', 'username', 'password'], {
      host: { type: 'string' },
      port,
      base_url: { type: 'string' },
      username: text,
      password: text,
    }),
  ],
  ['smtp', smtp],
]);
// python-zocalo's Slurm REST API plugin, under both of its entry point names (slurm-settings.ts).
for (const name of SLURM_PLUGIN_NAMES) plugins.set(name, slurmPlugin);

/**
 * The plugin of this name, or undefined when none is registered. A transport's name or alias (a
 * lower-case one, as blocks name them: `stomp`, `pika`) names its transport plugin.
 */
export function configurationPlugin(name: string): ConfigurationPlugin | undefined {
  const plugin = plugins.get(name);
  if (plugin) return plugin;
  const descriptor = knownTransport(name);
  if (!descriptor || (descriptor.name !== name && !descriptor.aliases?.includes(name))) return undefined;
  let made = transportPlugins.get(descriptor);
  if (!made) {
    made = transportPlugin(descriptor);
    transportPlugins.set(descriptor, made);
  }
  return made;
}

/** Names of the plugins a block may name without a warning. */
export function configurationPlugins(): string[] {
  const transports = knownTransports().flatMap((descriptor) => [
    descriptor.name,
    ...(descriptor.aliases ?? []),
  ]);
  return [...new Set([...plugins.keys(), ...transports])].sort();
}

/**
 * Add a plugin (Python's `zocalo.configuration.plugins` entry point): blocks naming it are checked
 * against its schema and activated through it.
 */
export function registerConfigurationPlugin(name: string, plugin: ConfigurationPlugin): void {
  plugins.set(name, plugin);
}

/** Where installed configuration plugins are looked for; `false`: nowhere (registered ones only). */
export type ConfigurationPluginSearch = EntryPointSearch | false;

/**
 * The default search: the working directory's project and, when the running script is part of an
 * installed package (the `zocalo` command), that installation's packages too.
 */
export function defaultPluginSearch(): EntryPointSearch {
  const script = process.argv[1];
  return { cwd: process.cwd(), extraRoots: script ? [dirname(script)] : [] };
}

/** Loaded installed plugins, by package folder and name: each is loaded once per process. */
const installed = new Map<string, ConfigurationPlugin>();

function isConfigurationPlugin(value: unknown): value is ConfigurationPlugin {
  const candidate = value as Partial<ConfigurationPlugin> | null | undefined;
  return (
    typeof candidate?.activate === 'function' &&
    (candidate.schema === undefined || (typeof candidate.schema === 'object' && candidate.schema !== null))
  );
}

/** An installed plugin as exported: a plugin object, or a class whose instances are (constructed without arguments). */
function pluginFrom(entry: EntryPoint, value: unknown): ConfigurationPlugin {
  let plugin = value;
  if (typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value))) {
    plugin = new (value as new () => unknown)();
  }
  if (!isConfigurationPlugin(plugin)) {
    throw new PluginLoadError(
      entry,
      'its export is not a configuration plugin: export an object { schema, activate(block, state) }',
    );
  }
  // The `plugin` key is every block's (ajv's strict mode wants it declared); without a schema it is
  // the only key checked (extra keys are allowed, as in Python).
  const given = plugin.schema ?? { type: 'object', required: ['plugin'] };
  const schema: SchemaObject = {
    ...given,
    properties: { plugin: { type: 'string' }, ...(given.properties as Record<string, SchemaObject>) },
  };
  try {
    compile(schema);
  } catch (error) {
    throw new PluginLoadError(entry, `its schema is not a valid JSON schema: ${String(error)}`, {
      cause: error,
    });
  }
  return { schema, activate: (block, state) => plugin.activate(block, state) };
}

/**
 * The plugin `name` of an installed package, loaded (synchronously: the configuration is read so),
 * or undefined when no installed package declares one. A package that declares it but fails to
 * load throws a `PluginLoadError` naming the package.
 */
export function installedConfigurationPlugin(
  name: string,
  search: EntryPointSearch = defaultPluginSearch(),
): ConfigurationPlugin | undefined {
  const entry = findEntryPoints(CONFIGURATION_PLUGINS_GROUP, search).find((found) => found.name === name);
  if (!entry) return undefined;
  const key = `${entry.packageDir}\0${name}`;
  let plugin = installed.get(key);
  if (!plugin) {
    plugin = pluginFrom(entry, loadEntryPointSync(entry));
    installed.set(key, plugin);
  }
  return plugin;
}

/**
 * How a configuration finds the plugin a block names: a registered (built-in) one, a transport's,
 * else an installed package's (when `search` is not false), once per name.
 */
export function pluginResolver(
  search: ConfigurationPluginSearch,
): (name: string) => ConfigurationPlugin | undefined {
  const resolved = new Map<string, ConfigurationPlugin | undefined>();
  return (name) => {
    if (resolved.has(name)) return resolved.get(name);
    const plugin =
      configurationPlugin(name) ??
      (search === false ? undefined : installedConfigurationPlugin(name, search));
    resolved.set(name, plugin);
    return plugin;
  };
}
