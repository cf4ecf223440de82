/**
 * Library dead-letter tools (the `zocalo dlq purge` / `zocalo dlq reinject` commands wire these up):
 * move every message of a dead-letter queue to one file each in python-zocalo's format
 * (python-dlq-file.ts), acking it only once its file is on disk; and send saved messages (that format or
 * the one we wrote before) back where they came from, as python-zocalo's `dlq_reinject` does. Both work
 * on any {@link Transport}.
 */
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HeaderValue, MessageBody, MessageHeaders, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { NotARegularFileError, readRegularFileAsync } from '@zocalo/workflows';
import type { DlqFile } from './dlq-file';
import { decodeDlqBody, parseDlqFile, rawBody } from './dlq-file';
import type { DlqBroker } from './python-dlq-file';
import { pythonDlqFile } from './python-dlq-file';

export interface DlqPurgeOptions {
  /**
   * python-zocalo's `--wait`: seconds to wait for the first message and then between two messages.
   * Default: 3 for the first, 0.1 after that, as python-zocalo.
   */
  readonly wait?: number;
  /** Stop once no message has arrived for this many seconds (first message included); overrides `wait`. */
  readonly idleTimeout?: number;
  /** Stop after this many messages. Default: all. */
  readonly max?: number;
  /** Which broker's file format to write; default from the transport's name (`stomp`: ActiveMQ). */
  readonly broker?: DlqBroker;
  /** Called after each message was written and acked, with the running count (for a progress bar). */
  readonly onProgress?: (written: number) => void;
  /** Called after each message was written and acked (python-zocalo prints each export). */
  readonly onExported?: (exported: { file: string; messageId: string; time: Date }) => void;
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

/** The broker whose file format a transport's messages are written in. */
export function dlqBrokerOf(transport: Transport, header: Readonly<Record<string, unknown>>): DlqBroker {
  if (transport.name === 'stomp') return 'activemq';
  if (transport.name === 'amqp' || transport.name === 'pika') return 'rabbitmq';
  return header['x-death'] !== undefined || header.routing_key !== undefined ? 'rabbitmq' : 'activemq';
}

/**
 * Writes a file without replacing one: python-zocalo would overwrite a file of the same name (two
 * RabbitMQ messages dead-lettered in the same second with the same delivery tag); the later one gets
 * `-2`, `-3`, ... instead.
 */
async function writeNew(path: string, text: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    const candidate = attempt === 1 ? path : `${path}-${attempt}`;
    try {
      await writeFile(candidate, text, { flag: 'wx' });
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 1000) throw error;
    }
  }
}

/**
 * Moves every message of dead-letter queue `dlq` to a file under `location`, as python-zocalo's
 * `dlq_purge` does (`<location>/<date>/msg-...`), acking each only once its file is on disk. The
 * subscription asks for `rawBytes`, so a body that is not UTF-8 is saved byte for byte (`bodyBase64`).
 * A message whose file cannot be written stays unacked and the purge stops taking more (the broker keeps
 * them all).
 */
export async function dlqPurge(
  transport: Transport,
  dlq: string,
  location: string,
  options: DlqPurgeOptions = {},
): Promise<DlqPurgeResult> {
  const firstMs = (options.idleTimeout ?? options.wait ?? 3) * 1000;
  const idleMs = (options.idleTimeout ?? options.wait ?? 0.1) * 1000;
  const max = options.max ?? Infinity;
  const files: string[] = [];
  let failed = 0;
  let error: string | undefined;
  let lastActivity = Date.now();
  let busy = false;

  const subscription = await transport.subscribe(
    dlq,
    async (header: ReceivedHeaders, message: MessageBody) => {
      busy = true;
      lastActivity = Date.now();
      try {
        if (files.length >= max || failed > 0) return;
        const saved = pythonDlqFile(
          options.broker ?? dlqBrokerOf(transport, header),
          header,
          rawBody(message),
        );
        const directory = join(location, saved.directory);
        let file: string;
        try {
          await mkdir(directory, { recursive: true });
          file = await writeNew(join(directory, saved.name), saved.text);
        } catch (cause) {
          failed += 1;
          error ??= `cannot write ${join(directory, saved.name)}: ${(cause as Error).message}`;
          return;
        }
        await transport.ack(header);
        files.push(file);
        options.onProgress?.(files.length);
        options.onExported?.({ file, messageId: saved.messageId, time: saved.time });
      } finally {
        busy = false;
        lastActivity = Date.now();
      }
    },
    { acknowledgement: true, rawBytes: true, prefetch: 1 },
  );
  try {
    for (;;) {
      const limit = files.length === 0 && failed === 0 ? firstMs : idleMs;
      if ((!busy && Date.now() - lastActivity >= limit) || files.length >= max || failed > 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(10, Math.min(100, limit / 2))));
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

/** python-zocalo's reinject marks every message it sends back with this header (as text, on both brokers). */
export const DLQ_REINJECTED_HEADER = 'dlq-reinjected';

export interface DlqReinjectOptions {
  /** Send every message to this queue (or topic, exchange) instead, named as the broker names it. */
  readonly to?: string;
  /** Remove each file once the broker confirmed its send (python-zocalo's `-r`). Default: keep them. */
  readonly remove?: boolean;
  /** Only report what would be sent; send nothing, remove nothing. */
  readonly dryRun?: boolean;
  /** Seconds to wait between two sends (python-zocalo's `--wait`). Default 0. */
  readonly wait?: number;
  /**
   * RabbitMQ: the type of an exchange (`fanout`, `topic`, ...), undefined when it does not exist. A
   * message whose first `x-death` entry names a fanout exchange is broadcast to it, as python-zocalo
   * means to; without this, or for other exchanges, it is sent to the `x-death` queue.
   */
  readonly exchangeType?: (exchange: string) => Promise<string | undefined>;
  /** Called with each file's content once it was read (python-zocalo's `--verbose` shows it). */
  readonly onParsed?: (file: string, saved: DlqFile) => void;
  /** Called after each file was handled, with its outcome (for a progress bar). */
  readonly onProgress?: (outcome: ReinjectOutcome, done: number) => void;
}

export type ReinjectStatus = 'sent' | 'dry-run' | 'invalid' | 'failed';

export interface ReinjectOutcome {
  readonly file: string;
  readonly status: ReinjectStatus;
  /** The queue (or topic, or fanout exchange) the message was (or would be) sent to. */
  readonly queue?: string;
  /** True when it was (or would be) broadcast to a topic or fanout exchange rather than sent to a queue. */
  readonly broadcast?: boolean;
  /** True when the file was removed after the send. */
  readonly removed?: boolean;
  /** Why the file was left in place. */
  readonly error?: string;
}

/** Where a saved message goes back to: a queue, or a topic / fanout exchange to broadcast to. */
async function targetOf(
  saved: DlqFile,
  options: DlqReinjectOptions,
): Promise<{ readonly name: string; readonly broadcast: boolean }> {
  if (saved.format === 'python' && saved.broker === 'activemq' && saved.kind === 'topic') {
    return { name: options.to ?? saved.originalQueue, broadcast: true };
  }
  if (saved.exchange !== undefined && options.exchangeType !== undefined) {
    if ((await options.exchangeType(saved.exchange)) === 'fanout') {
      return { name: options.to ?? saved.exchange, broadcast: true };
    }
  }
  return { name: options.to ?? saved.originalQueue, broadcast: false };
}

/**
 * Sends saved messages back where they came from (or to `to`), each with `dlq-reinjected: True`: an
 * ActiveMQ message to its original queue or topic, a RabbitMQ one to the queue of its first `x-death`
 * entry (or broadcast to a fanout exchange, see {@link DlqReinjectOptions.exchangeType}). With `remove`,
 * a file is removed only after the broker confirmed the send. A file that cannot be read or parsed
 * (python-zocalo's format or ours before it), or is not a regular file (a FIFO would wait forever), is
 * reported as `invalid` and left in place, a failed send as `failed`. Never throws for one file's problem.
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
    options.onParsed?.(file, saved);
    let target: { readonly name: string; readonly broadcast: boolean };
    try {
      target = await targetOf(saved, options);
    } catch (error) {
      report({ file, status: 'failed', error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const { name: queue, broadcast } = target;
    if (options.dryRun) {
      report({ file, status: 'dry-run', queue, ...(broadcast ? { broadcast } : {}) });
      continue;
    }
    if (sent > 0 && waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    sent += 1;
    const headers: MessageHeaders = { ...reinjectHeaders(saved.header), [DLQ_REINJECTED_HEADER]: 'True' };
    try {
      if (broadcast) await transport.rawBroadcast(queue, decodeDlqBody(saved), { headers });
      else await transport.rawSend(queue, decodeDlqBody(saved), { headers });
    } catch (error) {
      report({
        file,
        status: 'failed',
        queue,
        ...(broadcast ? { broadcast } : {}),
        error: error instanceof Error ? error.message : String(error),
      });
      continue;
    }
    if (!options.remove) {
      report({ file, status: 'sent', queue, ...(broadcast ? { broadcast } : {}) });
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
        ...(broadcast ? { broadcast } : {}),
        error: `sent, but the file could not be removed (${(error as Error).message}): do not reinject it again`,
      });
      continue;
    }
    report({ file, status: 'sent', queue, ...(broadcast ? { broadcast } : {}), removed: true });
  }
  return outcomes;
}
