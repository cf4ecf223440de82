/**
 * `createLogger()`: the pino logger of a Zocalo process. JSON lines on stderr (pino-pretty's
 * human-readable lines when stderr is a terminal), `service` and `host` on every record, secrets
 * redacted, and each record also sent to the Graylog destinations given (GELF over UDP or TCP).
 */
import { hostname } from 'node:os';
import type { DestinationStream, Level, Logger, StreamEntry } from 'pino';
import { pino } from 'pino';
import pinoPretty from 'pino-pretty';
import { traceLogFields } from '@zocalo/workflows';
import { ConfigurationError } from './errors';
import type { GelfDestination } from './gelf-destination';
import { createGelfDestination } from './gelf-destination';
import { toPinoLevel } from './levels';
import type { GraylogSettings } from './graylog-settings';
import { REDACTED, REDACT_PATHS, redact, redactCredentials } from './redact';

export interface CreateLoggerOptions {
  /** The service (or command) name, bound as `service` on every record (GELF `_workflows_service`). */
  readonly service: string;
  /**
   * The logger's name, as Python names loggers (`zocalo.service.dispatcher`): GELF's `facility`, as
   * graypy sends `record.name`. A record binding `logger` overrides it. Default `zocalo`.
   */
  readonly name?: string;
  /** Bound as `host` on every record and sent as GELF `host`. Default: the machine's host name. */
  readonly host?: string;
  /** Lowest level logged: a pino name or a Python name/number. Default `ZOCALO_LOG_LEVEL`, else `info`. */
  readonly level?: string;
  /** Graylog destinations (the `graylog` block of a site configuration, or several). */
  readonly graylog?: GraylogSettings | readonly GraylogSettings[];
  /** Human-readable lines (pino-pretty) instead of JSON. Default: whether stderr is a terminal. */
  readonly pretty?: boolean;
  /** Where the lines go instead of stderr (tests, files). */
  readonly destination?: DestinationStream;
  /** More fields bound on every record. */
  readonly bindings?: Readonly<Record<string, unknown>>;
}

const destinations = new WeakMap<object, GelfDestination[]>();

/** Keys of `identity` that a logger (the root or a child) binds itself, by logger. */
const boundIdentityKeys = new WeakMap<object, ReadonlySet<string>>();

/**
 * `service` and `host` as defaults that a child's bindings replace: pino writes a child's bindings
 * after its parent's without removing duplicates, so a child binding `service` (as the service
 * runtime does) would otherwise put the key twice in every line. A pino mixin sees which logger
 * writes, so it adds only the keys that logger does not bind.
 */
function identityMixin(identity: Readonly<Record<string, string>>) {
  const keys = Object.keys(identity);
  return (_object: object, _level: number, logger: Logger): Record<string, string> => {
    let bound = boundIdentityKeys.get(logger);
    if (bound === undefined) {
      const bindings = logger.bindings();
      bound = new Set(keys.filter((key) => key in bindings));
      boundIdentityKeys.set(logger, bound);
    }
    // The trace and span ids of the message being handled, when tracing is on (@zocalo/tracing).
    const trace = traceLogFields();
    if (bound.size === 0) return trace === undefined ? { ...identity } : { ...identity, ...trace };
    const added: Record<string, string> = trace === undefined ? {} : { ...trace };
    for (const key of keys) if (!bound.has(key)) added[key] = identity[key];
    return added;
  };
}

const ORDER: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function levelOf(value: unknown, fallback: string): string {
  const level = toPinoLevel(value);
  if (value !== undefined && !level) {
    throw new ConfigurationError({
      key: 'level',
      message: `unknown log level "${String(value)}": use trace, debug, info, warn, error, fatal or silent (or a Python level name)`,
    });
  }
  return level ?? fallback;
}

function lowest(levels: readonly string[]): string {
  const known = levels.filter((level): level is Level => (ORDER as readonly string[]).includes(level));
  return known.length === 0
    ? (levels[0] ?? 'info')
    : ORDER[Math.min(...known.map((level) => ORDER.indexOf(level)))];
}

/** A pino logger writing JSON lines (or pretty lines on a terminal) and GELF to Graylog. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const host = options.host ?? hostname();
  const level = levelOf(options.level ?? process.env.ZOCALO_LOG_LEVEL, 'info');
  const pretty = options.pretty ?? (options.destination === undefined && process.stderr.isTTY === true);
  const main: DestinationStream =
    options.destination ??
    (pretty
      ? pinoPretty({
          destination: 2,
          sync: true,
          colorize: process.stderr.isTTY === true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,host,service',
          messageFormat: '{service}: {msg}',
        })
      : pino.destination({ fd: 2, sync: true }));
  const graylog =
    options.graylog === undefined
      ? []
      : Array.isArray(options.graylog)
        ? options.graylog
        : [options.graylog as GraylogSettings];
  const gelf = (graylog as readonly GraylogSettings[]).map((settings) => ({
    level: levelOf(settings.level, level),
    stream: createGelfDestination(settings, host, options.name),
  }));
  const streams: StreamEntry[] = [
    { level: level as Level, stream: main },
    ...gelf.map(({ level: gelfLevel, stream }) => ({ level: gelfLevel as Level, stream })),
  ];
  const logger = pino(
    {
      level: lowest([level, ...gelf.map((entry) => entry.level)]),
      base: { pid: process.pid, ...options.bindings },
      mixin: identityMixin({ host, service: options.service }),
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      // The message text and errors (message, stack, causes) too: a URL with a password in an error
      // message is as much a secret as a `password` field.
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? redactCredentials(arg) : arg)) as typeof args,
          );
        },
      },
      serializers: { err: (error: Error) => redact({ ...pino.stdSerializers.err(error) }) },
      formatters: {
        bindings: (bindings) => redact(bindings),
        log: (object) => redact(object),
      },
    },
    streams.length === 1 ? main : pino.multistream(streams),
  );
  destinations.set(
    logger,
    gelf.map((entry) => entry.stream),
  );
  return logger;
}

/**
 * Flush and close the Graylog connections of a logger made by `createLogger` (call it on shutdown;
 * waits at most `timeoutMs`). The stderr destination is synchronous and needs nothing.
 */
export async function closeLogger(logger: Logger, timeoutMs = 2000): Promise<void> {
  const streams = destinations.get(logger) ?? [];
  destinations.delete(logger);
  await Promise.all(streams.map((stream) => stream.close(timeoutMs)));
}
