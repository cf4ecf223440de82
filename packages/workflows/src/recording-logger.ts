import type { Logger } from './logger';

/** The levels a {@link Logger} writes at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One call a {@link RecordingLogger} (or one of its children) received. */
export interface LogRecord {
  readonly level: LogLevel;
  /** The message; `''` when none was given. */
  readonly msg: string;
  /** The record's fields with the bindings of the child logger(s) merged in, as pino writes them. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface RecordingLoggerOptions {
  /** The array to record into (shared with the children); a new one by default. */
  readonly records?: LogRecord[];
  /** Fields added to every record, as `child(bindings)` adds them. */
  readonly bindings?: Readonly<Record<string, unknown>>;
  /**
   * Also print each record to stderr as `[level] msg {fields}`; by default only when the environment
   * variable `ZOCALO_TEST_LOG` is set (non-empty).
   */
  readonly echo?: boolean;
}

/**
 * A {@link Logger} that keeps every record in memory, for tests to assert on what was logged. Its
 * children share the parent's `records`, with their bindings merged into each record's `fields`.
 * Prints nothing, so test output stays quiet, unless `ZOCALO_TEST_LOG` is set.
 *
 * ```ts
 * const logger = new RecordingLogger();
 * const transport = new MemoryTransport({ logger });
 * // ... exercise the code under test ...
 * expect(logger.at('error')).toEqual([]);
 * expect(logger.find((record) => record.level === 'warn')?.fields).toMatchObject({ queue: 'results' });
 * ```
 */
export class RecordingLogger implements Logger {
  /** Everything logged through this logger and its children, oldest first. */
  readonly records: LogRecord[];
  private readonly bindings: Readonly<Record<string, unknown>>;
  private readonly echo: boolean;

  constructor(options: RecordingLoggerOptions = {}) {
    this.records = options.records ?? [];
    this.bindings = options.bindings ?? {};
    this.echo = options.echo ?? Boolean(process.env.ZOCALO_TEST_LOG);
  }

  debug(fields: object, msg?: string): void {
    this.record('debug', fields, msg);
  }

  info(fields: object, msg?: string): void {
    this.record('info', fields, msg);
  }

  warn(fields: object, msg?: string): void {
    this.record('warn', fields, msg);
  }

  error(fields: object, msg?: string): void {
    this.record('error', fields, msg);
  }

  /** A logger recording into the same `records`, adding `bindings` to the fields of each record. */
  child(bindings: Record<string, unknown>): RecordingLogger {
    return new RecordingLogger({
      records: this.records,
      bindings: { ...this.bindings, ...bindings },
      echo: this.echo,
    });
  }

  /** The records at `level`, oldest first. */
  at(level: LogLevel): LogRecord[] {
    return this.records.filter((record) => record.level === level);
  }

  /** The messages of the records (at `level`, if given), oldest first. */
  messages(level?: LogLevel): string[] {
    return (level === undefined ? this.records : this.at(level)).map((record) => record.msg);
  }

  /** The first record for which `predicate` holds. */
  find(predicate: (record: LogRecord) => boolean): LogRecord | undefined {
    return this.records.find(predicate);
  }

  /** Forget every record (of this logger, its parent and its children alike). */
  clear(): void {
    this.records.length = 0;
  }

  private record(level: LogLevel, fields: object, msg = ''): void {
    const record: LogRecord = { level, msg, fields: { ...this.bindings, ...fields } };
    this.records.push(record);
    if (this.echo) process.stderr.write(`[${level}] ${msg}${describe(record.fields)}\n`);
  }
}

function describe(fields: Readonly<Record<string, unknown>>): string {
  if (Object.keys(fields).length === 0) return '';
  try {
    return ` ${JSON.stringify(fields, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message } : value,
    )}`;
  } catch {
    return ' [fields not serialisable]';
  }
}
