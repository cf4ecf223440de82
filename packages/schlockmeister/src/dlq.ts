/**
 * Library dead-letter tools (the `zocalo dlq purge` / `zocalo dlq reinject` commands wire these up):
 * move every message of a dead-letter queue to one JSON file each, acking it only once its file is on
 * disk; and send saved messages back to their original queue, removing a file only after the broker
 * confirmed the send. Both work on any {@link Transport}.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HeaderValue, MessageBody, MessageHeaders, ReceivedHeaders, Transport } from '@zocalo/workflows';
import type { DlqFile } from './dlq-file';
import { DLQ_FILE_VERSION, decodeBody, encodeBody, originalQueueOf, parseDlqFile } from './dlq-file';

export interface DlqPurgeOptions {
  /** Stop once no message has arrived for this many seconds. Default 2. */
  readonly idleTimeout?: number;
  /** Stop after this many messages. Default: all. */
  readonly max?: number;
}

export interface DlqPurgeResult {
  readonly dlq: string;
  /** The files written, in order; each message was acked after its file was written. */
  readonly files: readonly string[];
  /** Messages that could not be written (left unacked: the broker keeps them). */
  readonly failed: number;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

function asBody(message: MessageBody): string | Buffer {
  if (typeof message === 'string' || Buffer.isBuffer(message)) return message;
  return JSON.stringify(message) ?? '';
}

/** Moves every message of dead-letter queue `dlq` to a JSON file in `dir` (which must exist). */
export async function dlqPurge(
  transport: Transport,
  dlq: string,
  dir: string,
  options: DlqPurgeOptions = {},
): Promise<DlqPurgeResult> {
  const idleMs = (options.idleTimeout ?? 2) * 1000;
  const max = options.max ?? Infinity;
  const files: string[] = [];
  let failed = 0;
  let sequence = 0;
  let lastActivity = Date.now();
  const stamp = Date.now().toString();

  const subscription = await transport.subscribe(
    dlq,
    async (header: ReceivedHeaders, message: MessageBody) => {
      lastActivity = Date.now();
      if (files.length >= max) return;
      sequence += 1;
      const file = join(dir, `${safeName(dlq)}.${stamp}.${sequence.toString().padStart(6, '0')}.json`);
      const saved: DlqFile = {
        version: DLQ_FILE_VERSION,
        dlq,
        originalQueue: originalQueueOf(dlq, header),
        savedAt: new Date().toISOString(),
        header: { ...header } as Record<string, HeaderValue>,
        ...encodeBody(asBody(message)),
      };
      try {
        await writeFile(file, `${JSON.stringify(saved, null, 2)}\n`, { flag: 'wx' });
      } catch {
        failed += 1;
        return;
      }
      await transport.ack(header);
      files.push(file);
      lastActivity = Date.now();
    },
    { acknowledgement: true, disableMangling: true, prefetch: 1 },
  );
  try {
    while (Date.now() - lastActivity < idleMs && files.length < max) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, idleMs)));
    }
  } finally {
    await transport.unsubscribe(subscription);
  }
  return { dlq, files, failed };
}

/** Headers the broker sets on delivery; they are not sent again on reinjection. */
const BROKER_HEADERS = new Set([
  'message-id',
  'subscription',
  'destination',
  'redelivered',
  'ack',
  'content-length',
  'original-destination',
  'originalExpiration',
  'expires',
  'timestamp',
  'consumer_tag',
  'delivery_mode',
  'exchange',
  'routing_key',
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
  'x-delivery-count',
]);

/** The application headers of a saved message, fit to send again. */
export function reinjectHeaders(header: Readonly<Record<string, unknown>>): MessageHeaders {
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(header)) {
    if (BROKER_HEADERS.has(name)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      headers[name] = value;
    }
  }
  return headers;
}

export interface DlqReinjectOptions {
  /** Send every message to this queue instead of its original queue. */
  readonly to?: string;
  /** Only report what would be sent; send nothing, remove nothing. */
  readonly dryRun?: boolean;
}

export type ReinjectStatus = 'sent' | 'dry-run' | 'invalid' | 'failed';

export interface ReinjectOutcome {
  readonly file: string;
  readonly status: ReinjectStatus;
  /** The queue the message was (or would be) sent to. */
  readonly queue?: string;
  /** Why the file was left in place. */
  readonly error?: string;
}

/**
 * Sends saved messages back to their original queue (or `to`). A file is removed only after the broker
 * confirmed the send; a file that cannot be read or parsed is reported as `invalid` and left in place, a
 * failed send as `failed` (file kept). Never throws for one file's problem.
 */
export async function dlqReinject(
  transport: Transport,
  files: readonly string[],
  options: DlqReinjectOptions = {},
): Promise<ReinjectOutcome[]> {
  const outcomes: ReinjectOutcome[] = [];
  for (const file of files) {
    let saved: DlqFile;
    try {
      saved = parseDlqFile(await readFile(file, 'utf8'));
    } catch (error) {
      outcomes.push({
        file,
        status: 'invalid',
        error: error instanceof Error ? error.message : String(error),
      });
      continue;
    }
    const queue = options.to ?? saved.originalQueue;
    if (options.dryRun) {
      outcomes.push({ file, status: 'dry-run', queue });
      continue;
    }
    try {
      await transport.rawSend(queue, decodeBody(saved), { headers: reinjectHeaders(saved.header) });
    } catch (error) {
      outcomes.push({
        file,
        status: 'failed',
        queue,
        error: error instanceof Error ? error.message : String(error),
      });
      continue;
    }
    await unlink(file);
    outcomes.push({ file, status: 'sent', queue });
  }
  return outcomes;
}
