/**
 * Delayed delivery without the delayed-message plugin (Debian's RabbitMQ does not ship it).
 *
 * A delayed message goes to a holding queue, one per delay and target, that nobody consumes: its
 * `x-message-ttl` is the delay and its dead-letter exchange and routing key are the target, so the
 * broker moves each message to the target when its delay is over (with an `x-death` entry whose
 * reason is `expired`). Every message in a holding queue has the same delay, so expiry in queue order
 * is exact, and a short delay never waits behind a long one (they are in different queues).
 *
 * - Never lost: holding queues are durable quorum queues that dead-letter `at-least-once` (the broker
 *   keeps a message until the target queue has confirmed it; RabbitMQ 3.10 and later, else durable
 *   classic queues); the target of a queue send is checked to exist when the message is sent, like
 *   an ordinary send.
 * - Never early: the TTL starts when the holding queue has the message.
 * - Clean: `x-expires` deletes a holding queue a while after it was last declared; the transport
 *   re-declares it (which resets that clock) long before a message in it could be affected.
 *
 * When the `delayed` exchange of the plugin exists (and `delayMode` allows it), queue sends use it as
 * python-workflows does: header `x-delay` in integer milliseconds. The plugin does not support
 * `mandatory`, so the transport checks that the queue exists and binds it to `delayed` itself.
 *
 * A message's `expiration` cannot survive a holding queue: the broker removes the property when it
 * dead-letters a message. So a delayed message with an expiration arrives without one (it is kept
 * rather than dropped early); the plugin path keeps it.
 */
import { createHash } from 'node:crypto';

/** The exchange of the delayed-message plugin, as python-workflows uses it. */
export const DELAYED_EXCHANGE = 'delayed';

/** The start of every holding queue's name: tools that prune queues leave these alone. */
export const HOLDING_QUEUE_PREFIX = 'zocalo.delay.';

/** A holding queue lives this long after its last declaration (on top of its delay). */
export const HOLDING_QUEUE_IDLE_MS = 10 * 60_000;

/** Re-declare a holding queue before sending to it when its last declaration is older than this. */
export const HOLDING_QUEUE_REDECLARE_MS = 60_000;

/** Where a message goes when its delay is over. */
export interface DelayTarget {
  readonly kind: 'queue' | 'topic';
  /** The exchange to dead-letter into: `""` for a queue, the topic's fanout exchange for a topic. */
  readonly exchange: string;
  /** The routing key: the queue name (`""` for a topic). */
  readonly routingKey: string;
}

/** Delay in whole milliseconds, at least 1. */
export function delayMilliseconds(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000));
}

/**
 * The holding queue for a delay and a target: `zocalo.delay.<ms>ms.queue.<queue>`,
 * `zocalo.delay.<ms>ms.exchange.<exchange>/<queue>` or `zocalo.delay.<ms>ms.topic.<topic>`
 * (hashed when longer than AMQP's 255-byte limit).
 */
export function holdingQueueName(target: DelayTarget, ms: number): string {
  const what =
    target.kind === 'topic'
      ? `topic.${target.exchange}`
      : target.exchange === ''
        ? `queue.${target.routingKey}`
        : `exchange.${target.exchange}/${target.routingKey}`;
  const name = `${HOLDING_QUEUE_PREFIX}${ms}ms.${what}`;
  if (Buffer.byteLength(name) <= 255) return name;
  const hash = createHash('sha256').update(what).digest('hex').slice(0, 32);
  return `${HOLDING_QUEUE_PREFIX}${ms}ms.${target.kind}.${hash}`;
}

/** Arguments of a holding queue. */
export function holdingQueueArguments(
  target: DelayTarget,
  ms: number,
  queueType: 'quorum' | 'classic',
): Record<string, string | number> {
  const args: Record<string, string | number> = {
    'x-queue-type': queueType,
    'x-message-ttl': ms,
    'x-expires': ms + HOLDING_QUEUE_IDLE_MS,
    'x-dead-letter-exchange': target.exchange,
  };
  // A fanout exchange ignores the routing key; without one, dead-lettering keeps the message's own.
  if (target.kind === 'queue') args['x-dead-letter-routing-key'] = target.routingKey;
  if (queueType === 'quorum') {
    args['x-dead-letter-strategy'] = 'at-least-once';
    // at-least-once dead-lettering requires reject-publish overflow.
    args['x-overflow'] = 'reject-publish';
  }
  return args;
}

/** Remembers which holding queues were declared when, so each is declared about once a minute. */
export class HoldingQueues<Context> {
  private readonly declared = new Map<string, { at: number; done: Promise<void> }>();

  constructor(
    private readonly declare: (
      context: Context,
      name: string,
      args: Record<string, string | number>,
    ) => Promise<void>,
  ) {}

  /** The holding queue for this delay and target, declared recently enough to hold the message. */
  ensure(
    context: Context,
    target: DelayTarget,
    ms: number,
    queueType: 'quorum' | 'classic',
  ): Promise<string> {
    const name = holdingQueueName(target, ms);
    const hit = this.declared.get(name);
    const now = Date.now();
    if (hit && now - hit.at < HOLDING_QUEUE_REDECLARE_MS) return hit.done.then(() => name);
    const done = this.declare(context, name, holdingQueueArguments(target, ms, queueType));
    this.declared.set(name, { at: now, done });
    done.catch(() => this.declared.delete(name));
    return done.then(() => name);
  }

  /** Forget every declaration (after a reconnect: the broker may have lost non-durable state). */
  clear(): void {
    this.declared.clear();
  }
}
