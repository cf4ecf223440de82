/**
 * The plugins a site configuration block can name (`plugin: stomp`, ...), each with the schema of its
 * block and what activating the block does: python-zocalo's `zocalo.configuration.plugins` entry
 * points (graylog, logging, storage, rabbitmqapi, jmx, smtp) and python-workflows' (stomp, pika,
 * transport), plus `memory` for the embedded transport. A block naming any other plugin is kept and
 * warned about, as in Python.
 */
import type { SchemaObject } from 'ajv';
import type { TransportSettings } from '@zocalo/workflows';
import type { GelfFieldOptions } from './gelf';
import type { LoggingSettings } from './logging-plugin';
import { LEVEL_SCHEMA, loggingFromBlock, mergeLogging } from './logging-plugin';

/** A plugin block as written in the file: `plugin:` and the plugin's own keys. */
export interface PluginBlock {
  readonly plugin: string;
  readonly [key: string]: unknown;
}

/**
 * Where log records also go: a Graylog server speaking GELF (python-zocalo's `graylog` plugin), with
 * graypy's field options (a `logging` block's graypy handler may set them).
 */
export interface GraylogSettings extends GelfFieldOptions {
  /** `UDP` or `TCP`, as in python-zocalo. */
  readonly protocol: 'UDP' | 'TCP';
  readonly host: string;
  readonly port: number;
  /** Lowest level sent to Graylog (pino or Python name). Default: the logger's own level. */
  readonly level?: string;
  /** UDP: zlib-compress each message (default true, as graypy). TCP messages are never compressed. */
  readonly compress?: boolean;
  /** UDP: largest datagram in bytes, chunked above it (default 1420 as graypy; at most 8192). */
  readonly chunkSize?: number;
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
  const plain = name
    .trim()
    .replace(/Transport$/, '')
    .toLowerCase();
  return plain === 'pika' || plain === 'rabbitmq' ? 'amqp' : plain;
}

/** Turn a numeric string into a number; leave anything else as it is. */
function numeric(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
}

function transportPlugin(
  transport: string,
  properties: Record<string, SchemaObject>,
  convert: (settings: Record<string, unknown>) => Record<string, unknown>,
): ConfigurationPlugin {
  return {
    schema: {
      type: 'object',
      required: ['plugin'],
      properties: { plugin: { type: 'string' }, ...properties },
    },
    activate(block, state) {
      const settings = convert(withoutPlugin(block));
      state.transports[transport] = settings;
      return settings;
    },
  };
}

function stringify(settings: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const result = { ...settings };
  for (const key of keys) if (typeof result[key] === 'number') result[key] = String(result[key]);
  return result;
}

/** python-workflows' `stomp` plugin: the `--stomp-*` settings (wire-format.md "STOMP"). */
const stomp = transportPlugin(
  'stomp',
  { host: { type: 'string' }, port, username: text, password: text, prefix: text },
  (settings) => ({
    ...stringify(settings, ['username', 'password', 'prefix']),
    ...('port' in settings ? { port: numeric(settings.port) } : {}),
  }),
);

/** python-workflows' `pika` plugin: the `--rabbit-*` settings; host and port may be lists. */
const pika = transportPlugin(
  'amqp',
  {
    host: { type: ['string', 'array'], items: { type: 'string' } },
    port: {
      type: ['integer', 'string', 'array'],
      items: { type: 'integer' },
      description: 'a port number or a list of them',
    },
    username: text,
    password: text,
    vhost: { type: 'string' },
  },
  (settings) => ({
    ...stringify(settings, ['username', 'password']),
    ...('port' in settings ? { port: numeric(settings.port) } : {}),
  }),
);

/** Ours: the embedded memory transport (options of `MemoryTransport`, such as `defaultPrefetch`). */
const memory = transportPlugin(
  'memory',
  { defaultPrefetch: { type: 'integer', minimum: 1 } },
  (settings) => settings,
);

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

const plugins = new Map<string, ConfigurationPlugin>([
  ['stomp', stomp],
  ['pika', pika],
  ['memory', memory],
  ['transport', transport],
  ['storage', storage],
  ['graylog', graylog],
  ['logging', logging],
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
  // Mail relay of the Mailer service.
  ['smtp', dataPlugin(['host', 'port'], { host: { type: 'string' }, port, from: { type: 'string' } })],
]);

/** The plugin of this name, or undefined when none is registered. */
export function configurationPlugin(name: string): ConfigurationPlugin | undefined {
  return plugins.get(name);
}

/** Names of the plugins a block may name without a warning. */
export function configurationPlugins(): string[] {
  return [...plugins.keys()].sort();
}

/**
 * Add a plugin (Python's `zocalo.configuration.plugins` entry point): blocks naming it are checked
 * against its schema and activated through it.
 */
export function registerConfigurationPlugin(name: string, plugin: ConfigurationPlugin): void {
  plugins.set(name, plugin);
}
