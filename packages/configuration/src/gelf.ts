/**
 * GELF 1.1 (Graylog Extended Log Format) messages from pino records, and UDP chunking. A record's
 * `msg` becomes `short_message`, an error's stack `full_message`, its level the syslog severity
 * python-zocalo's graylog handlers send, `time` the timestamp in seconds, and every other field an
 * additional field `_<snake_case name>` (`recipeId` → `_recipe_id`, `service` → `_service`).
 */
import { randomBytes } from 'node:crypto';
import { pythonLevelName, syslogLevel } from './levels';

/** A GELF 1.1 message. */
export interface GelfMessage {
  readonly version: '1.1';
  readonly host: string;
  readonly short_message: string;
  readonly full_message?: string;
  /** Seconds since the epoch, with milliseconds as decimals. */
  readonly timestamp: number;
  /** Syslog severity: 2 critical, 3 error, 4 warning, 6 info, 7 debug. */
  readonly level: number;
  readonly [field: `_${string}`]: string | number;
}

/** Largest datagram GELF allows; larger messages are chunked. */
export const GELF_MAX_CHUNK_SIZE = 8192;
/** Most chunks a GELF message may have. */
export const GELF_MAX_CHUNKS = 128;
/** Chunk header: magic bytes 0x1e 0x0f, 8-byte message id, sequence number, sequence count. */
const CHUNK_HEADER = 12;

/** Pino fields that become standard GELF fields rather than additional ones. */
const STANDARD = new Set(['v', 'level', 'time', 'msg', 'host', 'hostname']);

/** `recipeId` → `recipe_id`; characters GELF does not allow in a field name → `_`. */
export function gelfFieldName(key: string): string {
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^\w.-]/g, '_')
    .toLowerCase();
  return snake === 'id' ? '_id_' : `_${snake}`; // GELF reserves `_id`
}

function fieldValue(value: unknown): string | number | undefined {
  if (value === undefined || value === null) return undefined;
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

/** The GELF message of a pino log record (as pino serialised it: secrets already redacted). */
export function gelfFromRecord(record: Readonly<Record<string, unknown>>, defaultHost: string): GelfMessage {
  const level = typeof record.level === 'number' ? record.level : 30;
  const error = (record.err ?? record.error) as ErrorRecord | undefined;
  const errorRecord = error !== null && typeof error === 'object' ? error : undefined;
  const text =
    typeof record.msg === 'string' && record.msg !== '' ? record.msg : (errorRecord?.message ?? '');
  const [firstLine, ...rest] = text.split('\n');
  const full = errorRecord?.stack ?? (rest.length > 0 ? text : undefined);
  const message: Record<string, string | number> = {
    version: '1.1',
    host: typeof record.host === 'string' && record.host !== '' ? record.host : defaultHost,
    short_message: firstLine || '(no message)',
    timestamp: (typeof record.time === 'number' ? record.time : Date.now()) / 1000,
    level: syslogLevel(level),
    _level_name: pythonLevelName(level),
  };
  if (full !== undefined) message.full_message = full;
  for (const [key, value] of Object.entries(record)) {
    if (STANDARD.has(key)) continue;
    if ((key === 'err' || key === 'error') && errorRecord) {
      if (errorRecord.type) message._error_type = errorRecord.type;
      if (errorRecord.message) message._error_message = errorRecord.message;
      continue;
    }
    const converted = fieldValue(value);
    if (converted !== undefined) message[gelfFieldName(key)] = converted;
  }
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
