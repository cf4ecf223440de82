/**
 * A loaded site configuration: what the activated environments set up (transports, logging,
 * Graylog, storage, the other plugins' blocks), which transport to use and why, and the two things a
 * service needs from it: `createTransport()` and `createLogger()`. Printing or logging it never shows
 * a secret (`toJSON()` is redacted).
 */
import type { Transport, TransportSettings } from '@zocalo/workflows';
import { createTransport, setDefaultLogger } from '@zocalo/workflows';
import type { Logger as PinoLogger } from 'pino';
import type { CreateLoggerOptions } from './create-logger';
import { createLogger } from './create-logger';
import type { CommandLineFlags } from './flags';
import { mergeTransportFlags, transportFromFlags } from './flags';
import type { LoggingSettings } from './logging-plugin';
import { levelFor } from './logging-plugin';
import type { GraylogSettings } from './graylog-settings';
import type { PluginBlock } from './plugins';
import { canonicalTransportName } from './plugins';
import { redact } from './redact';

/** The transport to use, its settings in the shape `createTransport(name, settings)` takes, and why. */
export interface TransportChoice {
  /** Registry name: `stomp`, `amqp`, `memory`, or another registered transport. */
  readonly name: string;
  readonly settings: TransportSettings;
  /**
   * Why: `--transport`, `ZOCALO_TRANSPORT`, `transport block`, `storage zocalo.default_transport`,
   * `only configured transport`, or `default` (nothing chose one).
   */
  readonly reason: string;
}

/** python-workflows' `default_transport`, used when nothing else picks one. */
export const DEFAULT_TRANSPORT = 'stomp';

/** What loading (and flags) produced; the input of `new Configuration()`. */
export interface ConfigurationParts {
  /** The main configuration file, when there is one. */
  readonly file?: string;
  /** Every file read: the main file and its includes, then block files of activated environments. */
  readonly files: readonly string[];
  /** Names of all environments defined. */
  readonly environments: readonly string[];
  /** Environments activated, in order. */
  readonly activeEnvironments: readonly string[];
  /** Activated blocks by block name, as read (a path-string block as read from its file). */
  readonly blocks: Readonly<Record<string, PluginBlock>>;
  /** The value each plugin's activation gave, by plugin name (python-zocalo's `zc.<plugin>`). */
  readonly plugins: Readonly<Record<string, unknown>>;
  /** Settings of every configured transport, by transport name. */
  readonly transports: Readonly<Record<string, TransportSettings>>;
  /** Set by a `transport` block. */
  readonly defaultTransport?: string;
  /** Set by `--transport`. */
  readonly flagTransport?: string;
  /** Set by the environment variable `ZOCALO_TRANSPORT` (below `--transport`, above the file). */
  readonly envTransport?: string;
  readonly logging?: LoggingSettings;
  /** Graylog destinations: `graylog` blocks and Graylog handlers of the `logging` block. */
  readonly graylog: readonly GraylogSettings[];
  readonly storage: Readonly<Record<string, unknown>>;
  /** Warnings met while loading (unknown plugins, duplicate keys); each was also logged. */
  readonly warnings: readonly string[];
}

/** Options of `configuration.createLogger()`: those of `createLogger()` less what the file gives. */
export interface ConfigurationLoggerOptions extends Omit<CreateLoggerOptions, 'graylog' | 'level'> {
  /** Overrides the level of the file (and of `ZOCALO_LOG_LEVEL`). */
  readonly level?: string;
  /**
   * Logger whose level the `logging` block sets (default `zocalo`; `zocalo.service` inherits from it),
   * and GELF's `facility`.
   */
  readonly name?: string;
  /** Number of `verbose:` steps of the `logging` block to apply (`-v` = 1). */
  readonly verbosity?: number;
  /** Also make this logger the process-wide default of @zocalo/workflows (`setDefaultLogger`). */
  readonly asDefault?: boolean;
}

function chooseTransport(parts: ConfigurationParts): TransportChoice {
  const configured = Object.keys(parts.transports);
  const fromStorage = parts.storage['zocalo.default_transport'];
  let name: string;
  let reason: string;
  if (parts.flagTransport) [name, reason] = [parts.flagTransport, '--transport'];
  else if (parts.envTransport) [name, reason] = [parts.envTransport, 'ZOCALO_TRANSPORT'];
  else if (parts.defaultTransport) [name, reason] = [parts.defaultTransport, 'transport block'];
  else if (typeof fromStorage === 'string' && fromStorage !== '') {
    [name, reason] = [canonicalTransportName(fromStorage), 'storage zocalo.default_transport'];
  } else if (configured.length === 1) [name, reason] = [configured[0], 'only configured transport'];
  else [name, reason] = [DEFAULT_TRANSPORT, 'default'];
  return { name, settings: parts.transports[name] ?? {}, reason };
}

export class Configuration implements ConfigurationParts {
  readonly file?: string;
  readonly files: readonly string[];
  readonly environments: readonly string[];
  readonly activeEnvironments: readonly string[];
  readonly blocks: Readonly<Record<string, PluginBlock>>;
  readonly plugins: Readonly<Record<string, unknown>>;
  readonly transports: Readonly<Record<string, TransportSettings>>;
  readonly defaultTransport?: string;
  readonly flagTransport?: string;
  readonly envTransport?: string;
  readonly logging?: LoggingSettings;
  readonly graylog: readonly GraylogSettings[];
  readonly storage: Readonly<Record<string, unknown>>;
  readonly warnings: readonly string[];
  /** The transport `createTransport()` makes. */
  readonly transport: TransportChoice;

  constructor(parts: ConfigurationParts) {
    this.file = parts.file;
    this.files = parts.files;
    this.environments = parts.environments;
    this.activeEnvironments = parts.activeEnvironments;
    this.blocks = parts.blocks;
    this.plugins = parts.plugins;
    this.transports = parts.transports;
    this.defaultTransport = parts.defaultTransport;
    this.flagTransport = parts.flagTransport;
    this.envTransport = parts.envTransport;
    this.logging = parts.logging;
    this.graylog = parts.graylog;
    this.storage = parts.storage;
    this.warnings = parts.warnings;
    this.transport = chooseTransport(parts);
  }

  /** A copy with command-line flags over the file: `--transport`, `--stomp-*`, `--rabbit-*`. */
  withFlags(flags: CommandLineFlags): Configuration {
    return new Configuration({
      ...this,
      transports: mergeTransportFlags(this.transports, flags),
      flagTransport: transportFromFlags(flags) ?? this.flagTransport,
    });
  }

  /**
   * Make the chosen transport (not yet connected): `createTransport(transport.name, transport.settings)`
   * of @zocalo/workflows, with `extra` (a logger, tuning options) added to the settings.
   */
  createTransport(extra: TransportSettings = {}): Promise<Transport> {
    return createTransport(this.transport.name, { ...this.transport.settings, ...extra });
  }

  /**
   * A pino logger for a service: level from the options, else `ZOCALO_LOG_LEVEL`, else the `logging`
   * block, else `info`; records also go to every configured Graylog destination.
   */
  createLogger(options: ConfigurationLoggerOptions): PinoLogger {
    const { name, verbosity, asDefault, level, ...rest } = options;
    const logger = createLogger({
      ...rest,
      name,
      level: level ?? process.env.ZOCALO_LOG_LEVEL ?? levelFor(this.logging, name, verbosity) ?? 'info',
      graylog: this.graylog,
    });
    if (asDefault) setDefaultLogger(logger);
    return logger;
  }

  /** Everything, secrets replaced by `[redacted]`: what `JSON.stringify` and pino show. */
  toJSON(): Record<string, unknown> {
    return redact({
      file: this.file,
      files: this.files,
      environments: this.environments,
      activeEnvironments: this.activeEnvironments,
      transport: this.transport,
      transports: this.transports,
      blocks: this.blocks,
      plugins: this.plugins,
      logging: this.logging,
      graylog: this.graylog,
      storage: this.storage,
      warnings: this.warnings,
    });
  }

  /** python-zocalo's summary: `<ZocaloConfiguration containing 3 environments, 5 plugin configurations, environment 'live' activated>`. */
  toString(): string {
    const active =
      this.activeEnvironments.length === 0
        ? ''
        : this.activeEnvironments.length === 1
          ? `, environment '${this.activeEnvironments[0]}' activated`
          : `, environments ${this.activeEnvironments.map((name) => `'${name}'`).join(', ')} activated`;
    return `<ZocaloConfiguration containing ${this.environments.length} environments, ${Object.keys(this.blocks).length} active plugin configurations${active}, transport ${this.transport.name}>`;
  }
}

/** `configuration.withFlags(flags)`, as a function for command-line code. */
export function applyFlags(configuration: Configuration, flags: CommandLineFlags): Configuration {
  return configuration.withFlags(flags);
}
