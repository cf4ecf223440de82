/**
 * One dead-lettered message as a JSON file: every header, the body, where it came from. Bodies that are
 * valid UTF-8 are stored as text (`body`); others as base64 (`bodyBase64`) so no byte is lost.
 */
import type { HeaderValue } from '@zocalo/workflows';

export const DLQ_FILE_VERSION = 1;

export interface DlqFile {
  readonly version: typeof DLQ_FILE_VERSION;
  /** The dead-letter queue the message was taken from. */
  readonly dlq: string;
  /** The queue the message was dead-lettered from (where reinject sends it back). */
  readonly originalQueue: string;
  /** ISO time the file was written. */
  readonly savedAt: string;
  readonly header: Readonly<Record<string, HeaderValue | null>>;
  /** The body as text, when it is valid UTF-8. */
  readonly body?: string;
  /** The body as base64, when it is not valid UTF-8. */
  readonly bodyBase64?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `body` when the bytes are valid UTF-8, `bodyBase64` otherwise. */
export function encodeBody(body: string | Buffer): { body: string } | { bodyBase64: string } {
  if (typeof body === 'string') return { body };
  try {
    return { body: utf8.decode(body) };
  } catch {
    return { bodyBase64: body.toString('base64') };
  }
}

/** The body bytes (or text) of a saved message. */
export function decodeBody(file: DlqFile): string | Buffer {
  if (file.bodyBase64 !== undefined) return Buffer.from(file.bodyBase64, 'base64');
  return file.body ?? '';
}

function stripQueuePrefix(destination: string): string {
  return destination.startsWith('/queue/') ? destination.slice('/queue/'.length) : destination;
}

function firstDeathQueue(xDeath: unknown): string | undefined {
  let value = xDeath;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first !== 'object' || first === null) return undefined;
  const queue = (first as Record<string, unknown>).queue;
  return typeof queue === 'string' ? queue : undefined;
}

/**
 * The queue a dead-lettered message came from: ActiveMQ's `original-destination` header
 * (`/queue/<name>`), RabbitMQ's first `x-death` entry, else the DLQ name without `DLQ.`/`dlq.`.
 */
export function originalQueueOf(dlq: string, header: Readonly<Record<string, unknown>>): string {
  const original = header['original-destination'];
  if (typeof original === 'string' && original.length > 0) return stripQueuePrefix(original);
  const death = firstDeathQueue(header['x-death']);
  if (death !== undefined) return death;
  if (dlq.startsWith('DLQ.') || dlq.startsWith('dlq.')) return dlq.slice(4);
  return dlq;
}

/** Checks the shape of a parsed file; throws with the reason when it is not a DLQ message file. */
export function parseDlqFile(text: string): DlqFile {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('not a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (typeof record.header !== 'object' || record.header === null) throw new Error('no "header" object');
  if (typeof record.originalQueue !== 'string') throw new Error('no "originalQueue" string');
  if (record.body === undefined && typeof record.bodyBase64 !== 'string') {
    throw new Error('neither "body" nor "bodyBase64"');
  }
  if (record.body !== undefined && typeof record.body !== 'string') throw new Error('"body" is not a string');
  return value as DlqFile;
}
