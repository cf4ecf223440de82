/**
 * GELF messages from pino records, with the fields, names and value types graypy 2.1 (what
 * python-zocalo's `graylog` plugin and `GraylogUDPHandler`/`GraylogTCPHandler` use) sends for the
 * same record, so that Graylog searches, streams and dashboards see one set of names for Python and
 * TypeScript services. The mapping, field by field, is in packages/configuration/README.md ("GELF
 * fields"); test/fixtures/gelf holds a datagram as graypy packs it, which the tests compare with ours.
 */
import { randomBytes } from 'node:crypto';
import { isMainThread, threadId } from 'node:worker_threads';
import { pythonLevelName, syslogLevel } from './levels';

/** A GELF message as graypy sends it (version "1.0", with `facility`, as graypy 2.1 does). */
export interface GelfMessage {
  readonly version: '1.0';
  readonly host: string;
  readonly short_message: string;
  /** An error's stack, as graypy sends the traceback. */
  readonly full_message?: string;
  /** Seconds since the epoch, with milliseconds as decimals. */
  readonly timestamp: number;
  /** Syslog severity: 2 critical, 3 error, 4 warning, 6 info, 7 debug. */
  readonly level: number;
  /** The logger's name (graypy: `record.name`), or graypy's `facility` option. */
  readonly facility: string;
  /** Python's level name (`INFO`), graypy's `level_names` (python-zocalo turns it on). */
  readonly level_name?: string;
  readonly [field: `_${string}`]: string | number;
}

/**
 * graypy's handler options, as a python-zocalo `logging` block can give them to a graypy handler
 * (`level_names`, `debugging_fields`, `extra_fields`, `facility`, `localname`).
 */
export interface GelfFieldOptions {
  /** Send `level_name` (default true, as python-zocalo's handlers set `level_names=True`). */
  readonly levelNames?: boolean;
  /** Send `_pid`, `_thread_name`, `_process_name` (default true, as graypy). */
  readonly debuggingFields?: boolean;
  /** Send the record's other fields as `_<name>` (default true, as graypy). */
  readonly extraFields?: boolean;
  /** graypy's `facility`: sent as `facility` instead of the logger's name, which goes to `_logger`. */
  readonly facility?: string;
  /** graypy's `localname`: the GELF `host` instead of the machine's name. */
  readonly localname?: string;
}

/** How {@link gelfFromRecord} reads a record. */
export interface GelfRecordOptions extends GelfFieldOptions {
  /** The logger's name (Python's `record.name`), unless a record has `logger` or `name`. Default `zocalo`. */
  readonly loggerName?: string;
}

/** Largest datagram GELF allows; larger messages are chunked. */
export const GELF_MAX_CHUNK_SIZE = 8192;
/** Most chunks a GELF message may have. */
export const GELF_MAX_CHUNKS = 128;
/** Chunk header: magic bytes 0x1e 0x0f, 8-byte message id, sequence number, sequence count. */
const CHUNK_HEADER = 12;

/** Pino fields that become standard (or debugging) GELF fields rather than additional ones. */
const STANDARD = new Set(['v', 'level', 'time', 'msg', 'hostname', 'pid']);

/**
 * Python's `threadName`: the main thread is `MainThread`; a worker thread has no Python name, so it
 * is named by its thread id.
 */
const THREAD_NAME = isMainThread ? 'MainThread' : `Thread-${threadId}`;
/**
 * Python's `processName`. A TypeScript service runs in the process it was started as (there is no
 * python-workflows frontend with a `workflows-service` child), which Python calls `MainProcess`.
 */
const PROCESS_NAME = 'MainProcess';

/**
 * The additional field of a record key: `_` and the key as it is, as graypy names an extra field
 * (`recipe_ID` → `_recipe_ID`); characters GELF does not allow in a field name become `_`. `id`,
 * which GELF reserves and graypy drops, becomes `_id_`.
 */
export function gelfFieldName(key: string): string {
  const name = key.replace(/[^\w.-]/g, '_');
  return name === 'id' ? '_id_' : `_${name}`;
}

// GELF values are strings or numbers: anything else goes as text (objects as JSON).
function fieldValue(value: unknown): string | number | undefined {
  if (value === undefined || value === null) return undefined; // graypy's null, which Graylog skips
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

interface ErrorRecord {
  readonly type?: string;
  readonly message?: string;
  readonly stack?: string;
}

/**
 * The GELF message of a pino log record (as pino serialised it: secrets already redacted), in
 * graypy's field order. `defaultHost` is the machine's name (the logger's `host`): a record whose
 * `host` differs carries the service runtime's workflows host id, sent as `_workflows_host` as
 * python-workflows' frontend adds it; `service` is sent as `_workflows_service`.
 */
export function gelfFromRecord(
  record: Readonly<Record<string, unknown>>,
  defaultHost: string,
  options: GelfRecordOptions = {},
): GelfMessage {
  const level = typeof record.level === 'number' ? record.level : 30;
  const error = (record.err ?? record.error) as ErrorRecord | undefined;
  const errorRecord = error !== null && typeof error === 'object' ? error : undefined;
  const text =
    typeof record.msg === 'string' && record.msg !== '' ? record.msg : (errorRecord?.message ?? '');
  // Python's record.name: a `logger` binding, pino's `name` option, else the destination's.
  const loggerName =
    [record.logger, record.name].find((name): name is string => typeof name === 'string' && name !== '') ??
    options.loggerName ??
    'zocalo';
  const message: Record<string, string | number> = {
    version: '1.0',
    host: options.localname ?? defaultHost,
    // The whole text, as graypy's record.getMessage(); GELF refuses an empty short_message.
    short_message: text || '(no message)',
    timestamp: (typeof record.time === 'number' ? record.time : Date.now()) / 1000,
    level: syslogLevel(level),
    facility: options.facility ?? loggerName,
  };
  if (errorRecord?.stack) message.full_message = errorRecord.stack;
  if (options.levelNames !== false) message.level_name = pythonLevelName(level);
  if (options.facility !== undefined) message._logger = loggerName;
  if (options.debuggingFields !== false) {
    // graypy's `file`, `line` and `_function` need the call site, which pino does not know.
    message._pid = typeof record.pid === 'number' ? record.pid : process.pid;
    message._thread_name = THREAD_NAME;
    message._process_name = PROCESS_NAME;
  }
  if (options.extraFields === false) return message as unknown as GelfMessage;
  for (const [key, value] of Object.entries(record)) {
    if (STANDARD.has(key) || key === 'host' || key === 'service') continue;
    if ((key === 'logger' || key === 'name') && typeof value === 'string') continue; // the facility
    if ((key === 'err' || key === 'error') && errorRecord) {
      if (errorRecord.type) message._error_type = errorRecord.type;
      if (errorRecord.message) message._error_message = errorRecord.message;
      continue;
    }
    const converted = fieldValue(value);
    if (converted !== undefined) message[gelfFieldName(key)] = converted;
  }
  // Last, in the order python-workflows' frontend adds its `workflows_*` fields.
  if (typeof record.host === 'string' && record.host !== '' && record.host !== defaultHost) {
    message._workflows_host = record.host;
  }
  const service = fieldValue(record.service);
  if (service !== undefined) message._workflows_service = service;
  return message as unknown as GelfMessage;
}

/**
 * Split a UDP payload into GELF chunks of at most `chunkSize` bytes (the payload itself when it fits).
 * Returns an empty list when the message would need more than 128 chunks: GELF cannot carry it.
 */
export function gelfChunks(payload: Buffer, chunkSize: number): Buffer[] {
  if (payload.length <= chunkSize) return [payload];
  const body = chunkSize - CHUNK_HEADER;
  const count = Math.ceil(payload.length / body);
  if (count > GELF_MAX_CHUNKS) return [];
  const id = randomBytes(8);
  const chunks: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    const part = payload.subarray(index * body, (index + 1) * body);
    const chunk = Buffer.allocUnsafe(CHUNK_HEADER + part.length);
    chunk[0] = 0x1e;
    chunk[1] = 0x0f;
    id.copy(chunk, 2);
    chunk[10] = index;
    chunk[11] = count;
    part.copy(chunk, CHUNK_HEADER);
    chunks.push(chunk);
  }
  return chunks;
}
