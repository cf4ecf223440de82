/**
 * Library dead-letter tools (the `zocalo dlq purge` / `zocalo dlq reinject` commands wire these up):
 * move every message of a dead-letter queue to one JSON file each, acking it only once its file is on
 * disk; and send saved messages back to their original queue, removing a file only after the broker
 * confirmed the send. Both work on any {@link Transport}.
 */
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HeaderValue, MessageBody, MessageHeaders, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { NotARegularFileError, readRegularFileAsync } from '@zocalo/workflows';
import type { DlqFile } from './dlq-file';
import { decodeDlqBody, dlqFileFor, parseDlqFile, rawBody } from './dlq-file';

export interface DlqPurgeOptions {
  /** Stop once no message has arrived for this many seconds. Default 2. */
  readonly idleTimeout?: number;
  /** Stop after this many messages. Default: all. */
  readonly max?: number;
  /** Called after each message was written and acked, with the running count (for a progress bar). */
  readonly onProgress?: (written: number) => void;
}

export interface DlqPurgeResult {
  readonly dlq: string;
  /** The files written, in order; each message was acked after its file was written. */
  readonly files: readonly string[];
  /** Messages that could not be written (left unacked: the broker keeps them). */
  readonly failed: number;
  /** Why the first failed message could not be written. */
  readonly error?: string;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Moves every message of dead-letter queue `dlq` to a JSON file in `dir` (which must exist), acking each
 * only once its file is on disk. The subscription asks for `rawBytes`, so a body that is not UTF-8 is
 * saved byte for byte (`bodyBase64`). A message whose file cannot be written stays unacked and the purge
 * stops taking more (the broker keeps them all).
 */
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
  let error: string | undefined;
  let sequence = 0;
  let lastActivity = Date.now();
  const stamp = Date.now().toString();

  const subscription = await transport.subscribe(
    dlq,
    async (header: ReceivedHeaders, message: MessageBody) => {
      lastActivity = Date.now();
      if (files.length >= max || failed > 0) return;
      sequence += 1;
      const file = join(dir, `${safeName(dlq)}.${stamp}.${sequence.toString().padStart(6, '0')}.json`);
      const saved: DlqFile = dlqFileFor(dlq, header, rawBody(message));
      try {
        await writeFile(file, `${JSON.stringify(saved, null, 2)}\n`, { flag: 'wx' });
      } catch (cause) {
        failed += 1;
        error ??= `cannot write ${file}: ${(cause as Error).message}`;
        return;
      }
      await transport.ack(header);
      files.push(file);
      lastActivity = Date.now();
      options.onProgress?.(files.length);
    },
    { acknowledgement: true, rawBytes: true, prefetch: 1 },
  );
  try {
    while (Date.now() - lastActivity < idleMs && files.length < max && failed === 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, idleMs)));
    }
  } finally {
    await transport.unsubscribe(subscription);
  }
  return error === undefined ? { dlq, files, failed } : { dlq, files, failed, error };
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

function isHeaderValue(value: unknown): value is HeaderValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * The application headers of a saved message, fit to send again: the broker's own left out, and, in a
 * file python-zocalo wrote on RabbitMQ, the application headers nested under `headers` brought up.
 */
export function reinjectHeaders(header: Readonly<Record<string, unknown>>): MessageHeaders {
  const headers: Record<string, HeaderValue> = {};
  const nested = header.headers;
  if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
    for (const [name, value] of Object.entries(nested as Record<string, unknown>)) {
      if (!BROKER_HEADERS.has(name) && !name.startsWith('x-') && isHeaderValue(value)) headers[name] = value;
    }
  }
  for (const [name, value] of Object.entries(header)) {
    if (!BROKER_HEADERS.has(name) && isHeaderValue(value)) headers[name] = value;
  }
  return headers;
}

export interface DlqReinjectOptions {
  /** Send every message to this queue instead of its original queue. */
  readonly to?: string;
  /** Only report what would be sent; send nothing, remove nothing. */
  readonly dryRun?: boolean;
  /** Seconds to wait between two sends (python-zocalo's `--wait`). Default 0. */
  readonly wait?: number;
  /** Called after each file was handled, with its outcome (for a progress bar). */
  readonly onProgress?: (outcome: ReinjectOutcome, done: number) => void;
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
 * confirmed the send; a file that cannot be read or parsed (ours or python-zocalo's format), or is not
 * a regular file (a FIFO would wait forever), is reported as `invalid` and left in place, a failed
 * send as `failed` (file kept). Never throws for one file's problem.
 */
export async function dlqReinject(
  transport: Transport,
  files: readonly string[],
  options: DlqReinjectOptions = {},
): Promise<ReinjectOutcome[]> {
  const outcomes: ReinjectOutcome[] = [];
  const report = (outcome: ReinjectOutcome): void => {
    outcomes.push(outcome);
    options.onProgress?.(outcome, outcomes.length);
  };
  const waitMs = (options.wait ?? 0) * 1000;
  let sent = 0;
  for (const file of files) {
    let saved: DlqFile;
    try {
      saved = parseDlqFile(await readRegularFileAsync(file));
    } catch (error) {
      const reason =
        error instanceof NotARegularFileError
          ? error.description
          : error instanceof Error
            ? error.message
            : String(error);
      report({ file, status: 'invalid', error: reason });
      continue;
    }
    const queue = options.to ?? saved.originalQueue;
    if (options.dryRun) {
      report({ file, status: 'dry-run', queue });
      continue;
    }
    if (sent > 0 && waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    sent += 1;
    try {
      await transport.rawSend(queue, decodeDlqBody(saved), { headers: reinjectHeaders(saved.header) });
    } catch (error) {
      report({
        file,
        status: 'failed',
        queue,
        error: error instanceof Error ? error.message : String(error),
      });
      continue;
    }
    try {
      await unlink(file);
    } catch (error) {
      // Sent, but the file stays: say so, as reinjecting it again would send a duplicate.
      report({
        file,
        status: 'failed',
        queue,
        error: `sent, but the file could not be removed (${(error as Error).message}): do not reinject it again`,
      });
      continue;
    }
    report({ file, status: 'sent', queue });
  }
  return outcomes;
}
