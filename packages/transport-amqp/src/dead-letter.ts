/**
 * `nack` with `requeue: false` must never drop a message (wire-format.md). RabbitMQ drops a rejected
 * message unless its queue has a dead-letter exchange, and AMQP cannot ask a queue for its arguments
 * or policies. So:
 *
 * - Queues this transport declared itself have a dead-letter exchange (`""`, routing key
 *   `dlq.<queue>`, exactly as python-zocalo's configure_rabbitmq sets up): the message is rejected
 *   and the broker dead-letters it, with its own `x-death` entry.
 * - Any other queue (declared by someone else, whose arguments we cannot see; temporary and broadcast
 *   queues): the transport dead-letters the message itself. It publishes a copy to `dlq.<queue>`
 *   (declaring that queue if missing) with publisher confirms, carrying an `x-death` entry in the
 *   broker's own format (reason `rejected`, so `zocalo.dlq_reinject` can send it back), and acks the
 *   original only once the copy is confirmed. A crash in between leaves a duplicate, never a loss.
 *   A site whose every queue has a dead-letter exchange can set `deadLetter: 'broker'` to reject
 *   natively everywhere.
 */
import type { ConsumeMessage, Options } from 'amqplib';

/** An entry of the broker's `x-death` header as amqplib encodes and decodes it. */
type DeathEntry = Record<string, unknown>;

function isDeathEntry(value: unknown): value is DeathEntry {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function plainNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object' && 'value' in value) return Number(value.value);
  return Number(value);
}

/**
 * The headers RabbitMQ would give the message when dead-lettering it from `queue` with reason
 * `rejected`: a matching `x-death` entry counted up and moved to the front (or a new one), and the
 * `x-first-death-*` headers set once.
 */
export function deadLetterHeaders(
  message: ConsumeMessage,
  queue: string,
  now = Date.now(),
): Record<string, unknown> {
  const headers: Record<string, unknown> = { ...(message.properties.headers ?? {}) };
  const { exchange, routingKey } = message.fields;
  const history: unknown[] = Array.isArray(headers['x-death']) ? [...(headers['x-death'] as unknown[])] : [];
  const index = history.findIndex(
    (entry) => isDeathEntry(entry) && entry.queue === queue && entry.reason === 'rejected',
  );
  let entry: DeathEntry;
  if (index >= 0) {
    const previous = history.splice(index, 1)[0] as DeathEntry;
    entry = { ...previous, count: { '!': 'long', value: plainNumber(previous.count) + 1 } };
  } else {
    entry = {
      count: { '!': 'long', value: 1 },
      reason: 'rejected',
      queue,
      exchange,
      'routing-keys': [routingKey],
      time: { '!': 'timestamp', value: Math.floor(now / 1000) },
    };
    const expiration: unknown = message.properties.expiration;
    if (expiration !== undefined && expiration !== null) entry['original-expiration'] = String(expiration);
  }
  headers['x-death'] = [entry, ...history];
  headers['x-first-death-exchange'] ??= exchange;
  headers['x-first-death-queue'] ??= queue;
  headers['x-first-death-reason'] ??= 'rejected';
  return headers;
}

/** Publish options that copy the message's properties, as dead-lettering does (without expiration). */
export function deadLetterOptions(message: ConsumeMessage, queue: string): Options.Publish {
  const p = message.properties;
  const options: Options.Publish = {
    mandatory: true,
    deliveryMode: p.deliveryMode ?? 2,
    headers: deadLetterHeaders(message, queue),
  };
  if (p.contentType !== undefined) options.contentType = p.contentType;
  if (p.contentEncoding !== undefined) options.contentEncoding = p.contentEncoding;
  if (p.priority !== undefined) options.priority = p.priority;
  if (p.correlationId !== undefined) options.correlationId = p.correlationId;
  if (p.replyTo !== undefined) options.replyTo = p.replyTo;
  if (p.messageId !== undefined) options.messageId = p.messageId;
  if (p.timestamp !== undefined) options.timestamp = p.timestamp;
  if (p.type !== undefined) options.type = p.type;
  if (p.appId !== undefined) options.appId = p.appId;
  return options;
}
