/**
 * python-zocalo's `logging` plugin block, read for pino: the root level, per-logger levels, the
 * `verbose:` steps, and Graylog handlers (`()`: zocalo.configuration.plugin_logging.GraylogUDPHandler
 * or GraylogTCPHandler, or graypy's GELFUDPHandler / GELFTCPHandler as `class`). Formatters, filters
 * and other handlers are Python-only and ignored; records always go to stderr, as Zocalo commands
 * always add a console handler in Python.
 */
import type { SchemaObject } from 'ajv';
import type { GelfFieldOptions } from './gelf';
import type { PinoLevel } from './levels';
import { toPinoLevel } from './levels';
import type { GraylogSettings } from './graylog-settings';

const NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const PYTHON = ['NOTSET', 'DEBUG', 'INFO', 'NOTICE', 'WARN', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL'];

/** A level: a pino name, a Python name (upper case, as Python's dictConfig wants) or a number. */
export const LEVEL_SCHEMA: SchemaObject = {
  type: ['string', 'integer'],
  pattern: `^(?:${[...NAMES, ...PYTHON].join('|')}|\\d+)$`,
  description: `a log level (${[...NAMES, ...PYTHON].join(', ')} or a number)`,
};

/** One `verbose:` step: applied on top of the levels before it when the verbosity is raised. */
export interface VerbosityStep {
  readonly level?: PinoLevel;
  readonly loggers: Readonly<Record<string, PinoLevel>>;
}

/** What a `logging` block says, in pino's terms. */
export interface LoggingSettings {
  /** The root logger's level. */
  readonly level?: PinoLevel;
  /** Levels of named loggers (`zocalo`, `workflows`, `zocalo.service`); a name covers its children. */
  readonly loggers: Readonly<Record<string, PinoLevel>>;
  /** Steps of `-v`, `-vv`, ...: the first n apply at verbosity n (Python's `zc.logging.verbosity`). */
  readonly verbose: readonly VerbosityStep[];
  /** Graylog handlers attached to the root logger or a named logger. */
  readonly graylog: readonly GraylogSettings[];
}

type Dict = Record<string, unknown>;

function dict(value: unknown): Dict {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Dict) : {};
}

function levels(section: unknown): { level?: PinoLevel; loggers: Record<string, PinoLevel> } {
  const block = dict(section);
  const loggers: Record<string, PinoLevel> = {};
  for (const [name, logger] of Object.entries(dict(block.loggers))) {
    const level = toPinoLevel(dict(logger).level);
    if (level) loggers[name] = level;
  }
  const level = toPinoLevel(block.level) ?? toPinoLevel(dict(block.root).level);
  return level ? { level, loggers } : { loggers };
}

/**
 * graypy's keyword arguments of a handler: python-zocalo's factories take none and turn
 * `level_names` on; graypy's own classes default it to off.
 */
function graypyOptions(handler: Dict, zocaloFactory: boolean): GelfFieldOptions {
  const flag = (key: string, fallback: boolean) =>
    typeof handler[key] === 'boolean' ? (handler[key] as boolean) : fallback;
  if (zocaloFactory) return {};
  return {
    levelNames: flag('level_names', false),
    debuggingFields: flag('debugging_fields', true),
    extraFields: flag('extra_fields', true),
    ...(typeof handler.facility === 'string' ? { facility: handler.facility } : {}),
    ...(typeof handler.localname === 'string' ? { localname: handler.localname } : {}),
  };
}

function graylogHandlers(block: Dict): GraylogSettings[] {
  const handlers = dict(block.handlers);
  const used = new Set<string>();
  const attach = (names: unknown) => {
    if (Array.isArray(names)) for (const name of names) used.add(String(name));
  };
  attach(dict(block.root).handlers);
  for (const logger of Object.values(dict(block.loggers))) attach(dict(logger).handlers);
  const found: GraylogSettings[] = [];
  for (const name of used) {
    const handler = dict(handlers[name]);
    const factory = String(handler['()'] ?? handler.class ?? '');
    const match = /(?:Graylog|GELF)(UDP|TCP)Handler$/.exec(factory);
    if (!match || typeof handler.host !== 'string' || handler.port === undefined) continue;
    const level = toPinoLevel(handler.level);
    found.push({
      protocol: match[1] as 'UDP' | 'TCP',
      host: handler.host,
      port: Number(handler.port),
      ...(level ? { level } : {}),
      ...graypyOptions(handler, match[0].startsWith('Graylog')),
    });
  }
  return found;
}

/** Read a `logging` block (without its `plugin` key). */
export function loggingFromBlock(block: Dict): LoggingSettings {
  const verbose = Array.isArray(block.verbose) ? block.verbose.map((step) => levels(step)) : [];
  return { ...levels(block), verbose, graylog: graylogHandlers(block) };
}

/** An `incremental: true` block on top of an earlier one: its levels override, its handlers add. */
export function mergeLogging(base: LoggingSettings, extra: LoggingSettings): LoggingSettings {
  const level = extra.level ?? base.level;
  return {
    ...(level ? { level } : {}),
    loggers: { ...base.loggers, ...extra.loggers },
    verbose: extra.verbose.length > 0 ? extra.verbose : base.verbose,
    graylog: [...base.graylog, ...extra.graylog],
  };
}

/**
 * The level of the logger `name` (default `zocalo`) at a verbosity: the first `verbosity` steps of
 * `verbose:` applied in order, then the nearest configured ancestor (`zocalo.service.x` →
 * `zocalo.service` → `zocalo`), then the root level. Undefined when nothing sets one.
 */
export function levelFor(
  settings: LoggingSettings | undefined,
  name = 'zocalo',
  verbosity = 0,
): PinoLevel | undefined {
  if (!settings) return undefined;
  let level = settings.level;
  let loggers = { ...settings.loggers };
  for (const step of settings.verbose.slice(0, Math.max(0, verbosity))) {
    level = step.level ?? level;
    loggers = { ...loggers, ...step.loggers };
  }
  for (
    let prefix = name;
    prefix !== '';
    prefix = prefix.includes('.') ? prefix.slice(0, prefix.lastIndexOf('.')) : ''
  ) {
    if (loggers[prefix]) return loggers[prefix];
  }
  return level;
}
