/**
 * `zocalo queue drain SRC DST [--rate n/s]`, library side: moves every message of one queue to another,
 * each acked on the source only after the send to the destination resolved (broker confirmed), so
 * nothing is lost; a failed send leaves its message on the source and stops the drain. Bodies move as
 * bytes (`rawBytes`), so nothing is re-encoded on the way.
 */
import type { MessageBody, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { InvalidArgumentError } from '@zocalo/workflows';
import { reinjectHeaders } from './dlq';
import { rawBody } from './dlq-file';

export interface QueueDrainOptions {
  /** At most this many messages per second. Default: as fast as the broker confirms. */
  readonly rate?: number;
  /** Stop once no message has arrived for this many seconds. Default 2. */
  readonly idleTimeout?: number;
  /** Stop after this many messages. Default: all. */
  readonly max?: number;
  /** Called after each message moved, with the running count (for a progress bar). */
  readonly onProgress?: (moved: number) => void;
  /** Called after each message moved, with what moved where (python-zocalo's drain prints each). */
  readonly onMoved?: (moved: DrainedMessage) => void;
}

/** One message a drain moved. */
export interface DrainedMessage {
  readonly header: ReceivedHeaders;
  /** The body as it was received (bytes or text, see `rawBytes`). */
  readonly body: string | Buffer;
  readonly destination: string;
  /** How many have moved so far, this one included. */
  readonly count: number;
}

/**
 * Where a drained message goes: a queue name, or a function choosing one per message (python-zocalo's
 * `.`: the recipe's next step). A function that throws stops the drain and leaves that message on the source.
 */
export type DrainDestination = string | ((header: ReceivedHeaders, body: string | Buffer) => string);

export interface QueueDrainResult {
  readonly moved: number;
  /** Sends that failed; their messages stay on the source queue. */
  readonly failed: number;
  /** Why the first failed send failed. */
  readonly error?: string;
}

export async function queueDrain(
  transport: Transport,
  source: string,
  destination: DrainDestination,
  options: QueueDrainOptions = {},
): Promise<QueueDrainResult> {
  if (typeof destination === 'string' && source === destination)
    throw new InvalidArgumentError(`queue drain: source and destination are both ${source}`);
  const idleMs = (options.idleTimeout ?? 2) * 1000;
  const max = options.max ?? Infinity;
  const spacingMs = options.rate !== undefined && options.rate > 0 ? 1000 / options.rate : 0;
  let moved = 0;
  let failed = 0;
  let error: string | undefined;
  let lastActivity = Date.now();
  let nextAt = Date.now();

  const subscription = await transport.subscribe(
    source,
    async (header: ReceivedHeaders, message: MessageBody) => {
      lastActivity = Date.now();
      if (moved >= max || failed > 0) return;
      const wait = nextAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      nextAt = Math.max(nextAt, Date.now()) + spacingMs;
      const body = rawBody(message);
      let target: string;
      try {
        target = typeof destination === 'string' ? destination : destination(header, body);
      } catch (cause) {
        failed += 1;
        error ??= (cause as Error).message;
        return;
      }
      try {
        await transport.rawSend(target, body, { headers: reinjectHeaders(header) });
      } catch (cause) {
        failed += 1;
        error ??= `cannot send to ${target}: ${(cause as Error).message}`;
        return;
      }
      await transport.ack(header);
      moved += 1;
      lastActivity = Date.now();
      options.onProgress?.(moved);
      options.onMoved?.({ header, body, destination: target, count: moved });
    },
    { acknowledgement: true, rawBytes: true, prefetch: 1 },
  );
  try {
    while (Date.now() - lastActivity < idleMs && moved < max && failed === 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, idleMs)));
    }
  } finally {
    await transport.unsubscribe(subscription);
  }
  return error === undefined ? { moved, failed } : { moved, failed, error };
}
