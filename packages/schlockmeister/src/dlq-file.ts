/**
 * Dead-letter message files. `dlq purge` writes python-zocalo's format (python-dlq-file.ts);
 * {@link parseDlqFile} reads that format and the one `dlq purge` wrote before (every header, the body as
 * text in `body` or as base64 in `bodyBase64`, `originalQueue`, with python-zocalo's fields beside them),
 * so files of either kind still reinject.
 */
import type { HeaderValue } from '@zocalo/workflows';
import { ZocaloError } from '@zocalo/workflows';
import { SCHLOCKMEISTER_ERROR_CODES } from './errors';
import type { DlqBroker, PythonDlqContent } from './python-dlq-file';
import { readPythonDlqFile } from './python-dlq-file';
import { toPlain } from '@zocalo/recipes';

export const DLQ_FILE_VERSION = 1;

/** A header value as a file holds it: what the transports deliver, or (Python's files) nested JSON. */
export type SavedHeaderValue = HeaderValue | null | SavedHeaderValue[] | { [key: string]: SavedHeaderValue };

export interface DlqFile {
  readonly version: typeof DLQ_FILE_VERSION;
  /** The dead-letter queue the message was taken from. */
  readonly dlq: string;
  /** The queue the message was dead-lettered from (where reinject sends it back). */
  readonly originalQueue: string;
  /** ISO time the file was written. */
  readonly savedAt: string;
  readonly header: Readonly<Record<string, SavedHeaderValue>>;
  /** The body as text, when it is valid UTF-8. */
  readonly body?: string;
  /** The body as base64, when it is not valid UTF-8. */
  readonly bodyBase64?: string;
  /** python-zocalo: local date and time of the export. */
  readonly exported?: { readonly date: string; readonly time: string };
  /**
   * python-zocalo: the body as its service would have received it — the parsed JSON, or the text when
   * it is not JSON. Absent for a body that is not UTF-8 (Python's tools could not send it faithfully).
   */
  readonly message?: unknown;
  /** `python`: read from a file in python-zocalo's format (what `dlq purge` writes now). */
  readonly format?: 'python';
  /** python-format files: the broker the file came from. */
  readonly broker?: DlqBroker;
  /** python-format ActiveMQ files: whether the original destination was a queue or a topic. */
  readonly kind?: 'queue' | 'topic';
  /** python-format RabbitMQ files: the exchange of the first `x-death` entry, when not the default one. */
  readonly exchange?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A delivered body as bytes or text: the bytes of a `rawBytes` subscription, the text of one with mangling
 * off, or (a transport that parsed it anyway) the value as JSON again.
 */
export function rawBody(message: unknown): string | Buffer {
  if (typeof message === 'string' || Buffer.isBuffer(message)) return message;
  if (message instanceof Uint8Array) return Buffer.from(message);
  return JSON.stringify(message) ?? '';
}

/** A DLQ file's body fields: `body` when the bytes are valid UTF-8, `bodyBase64` otherwise. */
export function encodeDlqBody(body: string | Buffer): { body: string } | { bodyBase64: string } {
  if (typeof body === 'string') return { body };
  try {
    return { body: utf8.decode(body) };
  } catch {
    return { bodyBase64: body.toString('base64') };
  }
}

/** The body bytes (or text) of a saved message. */
export function decodeDlqBody(file: DlqFile): string | Buffer {
  if (file.bodyBase64 !== undefined) return Buffer.from(file.bodyBase64, 'base64');
  return file.body ?? '';
}

// Deprecated names: @zocalo/workflows' encodeBody/decodeBody are the JSON of a message body.
/** @deprecated Use {@link encodeDlqBody}. */
export const encodeBody = encodeDlqBody;
/** @deprecated Use {@link decodeDlqBody}. */
export const decodeBody = decodeDlqBody;

function stripQueuePrefix(destination: string): string {
  return destination.startsWith('/queue/') ? destination.slice('/queue/'.length) : destination;
}

/** A message's `x-death` history: an array, or the JSON text the AMQP transport delivers. */
export function xDeathEntries(value: unknown): Array<Record<string, unknown>> {
  let parsed = value;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed) as unknown;
    } catch {
      return [];
    }
  }
  const list: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  return list.filter(
    (entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null,
  );
}

/** `x-death` from the header itself (ours) or from its nested `headers` (python-workflows' pika header). */
function xDeathOf(header: Readonly<Record<string, unknown>>): Array<Record<string, unknown>> {
  const own = xDeathEntries(header['x-death']);
  if (own.length > 0) return own;
  const nested = header.headers;
  if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
    return xDeathEntries((nested as Record<string, unknown>)['x-death']);
  }
  return [];
}

function withoutDlqPrefix(name: string): string {
  return name.startsWith('DLQ.') || name.startsWith('dlq.') ? name.slice(4) : name;
}

/**
 * The queue a dead-lettered message came from: ActiveMQ's `original-destination` header
 * (`/queue/<name>`), RabbitMQ's first `x-death` entry, else the DLQ name without `DLQ.`/`dlq.`.
 */
export function originalQueueOf(dlq: string, header: Readonly<Record<string, unknown>>): string {
  const original = header['original-destination'];
  if (typeof original === 'string' && original.length > 0) return stripQueuePrefix(original);
  const death = xDeathOf(header)[0]?.queue;
  if (typeof death === 'string' && death.length > 0) return death;
  return withoutDlqPrefix(dlq);
}

function twoDigits(value: number): string {
  return value.toString().padStart(2, '0');
}

/** python-zocalo's `exported` stamp: local date and time. */
export function exportedStamp(now: Date = new Date()): { date: string; time: string } {
  return {
    date: `${now.getFullYear()}-${twoDigits(now.getMonth() + 1)}-${twoDigits(now.getDate())}`,
    time: `${twoDigits(now.getHours())}:${twoDigits(now.getMinutes())}:${twoDigits(now.getSeconds())}`,
  };
}

function pythonMessage(encoded: { body: string } | { bodyBase64: string }): { message?: unknown } {
  if (!('body' in encoded)) return {};
  try {
    return { message: JSON.parse(encoded.body) as unknown };
  } catch {
    return { message: encoded.body };
  }
}

/**
 * The file for one message taken from `dlq`: ours and python-zocalo's fields. A RabbitMQ message's
 * `x-death` is also put where Python's `dlq_reinject` looks (`header.headers['x-death']`, as a list).
 */
export function dlqFileFor(
  dlq: string,
  header: Readonly<Record<string, HeaderValue | undefined>>,
  body: string | Buffer,
  now: Date = new Date(),
): DlqFile {
  const saved: Record<string, SavedHeaderValue> = {};
  for (const [name, value] of Object.entries(header)) if (value !== undefined) saved[name] = value;
  const death = xDeathEntries(header['x-death']);
  if (death.length > 0 && saved.headers === undefined) {
    saved.headers = { 'x-death': JSON.parse(JSON.stringify(death)) as SavedHeaderValue[] };
  }
  const encoded = encodeDlqBody(body);
  return {
    version: DLQ_FILE_VERSION,
    dlq,
    originalQueue: originalQueueOf(dlq, header),
    savedAt: now.toISOString(),
    header: saved,
    ...encoded,
    exported: exportedStamp(now),
    ...pythonMessage(encoded),
  };
}

/**
 * Whether text is base64 as we (and Python's `base64.b64encode`) write it. `Buffer.from(text, 'base64')`
 * skips any character outside the alphabet and stops at the first `=`, so a damaged body would be sent
 * as garbage: only text that the decoded bytes encode back to exactly passes (padded, canonical).
 */
function isBase64(text: string): boolean {
  return Buffer.from(text, 'base64').toString('base64') === text;
}

/** Thrown by {@link parseDlqFile} for text that is not a DLQ message file; the message says why. */
export class DlqFileError extends ZocaloError {
  static override readonly code: string = SCHLOCKMEISTER_ERROR_CODES.DlqFileError;
}

/**
 * Reads a DLQ message file: ours, or python-zocalo's (`header` + `message`, the original queue from
 * `original-destination` / `destination` on ActiveMQ or the first `x-death` entry on RabbitMQ; a
 * `message` that is a string is sent as that text, any other JSON value as its JSON). Throws a
 * {@link DlqFileError} saying what is wrong otherwise.
 */
export function parseDlqFile(text: string): DlqFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DlqFileError(`not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DlqFileError('not a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (typeof record.header !== 'object' || record.header === null || Array.isArray(record.header)) {
    throw new DlqFileError('no "header" object');
  }
  if (record.body !== undefined && typeof record.body !== 'string') {
    throw new DlqFileError('"body" is not a string');
  }
  if (record.bodyBase64 !== undefined && typeof record.bodyBase64 !== 'string') {
    throw new DlqFileError('"bodyBase64" is not a string');
  }
  if (typeof record.bodyBase64 === 'string' && !isBase64(record.bodyBase64)) {
    throw new DlqFileError(
      '"bodyBase64" is not valid base64 (the file was damaged or edited by hand); restore it from the ' +
        'original file, or remove it',
    );
  }
  if (
    record.version !== undefined ||
    typeof record.originalQueue === 'string' ||
    typeof record.body === 'string'
  ) {
    if (typeof record.originalQueue !== 'string') throw new DlqFileError('no "originalQueue" string');
    if (typeof record.body !== 'string' && typeof record.bodyBase64 !== 'string') {
      throw new DlqFileError('neither "body" nor "bodyBase64"');
    }
    return value as DlqFile;
  }
  // python-zocalo's file (also ours since the Python format): header + message.
  let python: PythonDlqContent | undefined;
  try {
    python = readPythonDlqFile(text);
  } catch (error) {
    throw new DlqFileError(`no original queue: ${(error as Error).message}`, { cause: error });
  }
  if (python === undefined) throw new DlqFileError('neither "body", "bodyBase64" nor "message"');
  const plainHeader = toPlain(python.header) as Record<string, SavedHeaderValue>;
  const routingKey = plainHeader.routing_key;
  const destination =
    typeof plainHeader.destination === 'string' ? stripQueuePrefix(plainHeader.destination) : '';
  return {
    version: DLQ_FILE_VERSION,
    dlq:
      python.broker === 'rabbitmq'
        ? typeof routingKey === 'string'
          ? routingKey
          : `dlq.${python.destination}`
        : destination,
    originalQueue: python.destination,
    savedAt: python.exported ? `${python.exported.date}T${python.exported.time}` : '',
    header: plainHeader,
    ...(Buffer.isBuffer(python.body)
      ? { bodyBase64: python.body.toString('base64') }
      : { body: python.body }),
    ...(python.message === undefined ? {} : { message: toPlain(python.message) }),
    ...(python.exported ? { exported: python.exported } : {}),
    format: 'python',
    broker: python.broker,
    kind: python.kind,
    ...(python.exchange === undefined ? {} : { exchange: python.exchange }),
  };
}
