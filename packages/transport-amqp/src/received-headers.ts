/**
 * The header object a subscriber receives (wire-format.md, "AMQP 0-9-1"): the message's application
 * headers merged with `consumer_tag`, `delivery_mode`, `exchange`, `message-id` (the delivery tag),
 * `redelivered`, `routing_key` and `subscription`.
 *
 * Header values that are not text, numbers or booleans are made so: timestamps become numbers
 * (seconds, as AMQP carries them), byte strings become text, and tables and arrays (such as the
 * broker's `x-death` history) become their JSON text.
 */
import type { ConsumeMessage } from 'amqplib';
import type { HeaderValue, ReceivedHeaders, SubscriptionId } from '@zocalo/workflows';

/** amqplib's way of carrying a typed value, e.g. `{'!': 'timestamp', value: 1700000000}`. */
interface TypedValue {
  readonly '!': string;
  readonly value: unknown;
}

function isTyped(value: object): value is TypedValue {
  return Object.hasOwn(value, '!') && Object.hasOwn(value, 'value');
}

/** A received table value as plain JSON data (typed values unwrapped, byte strings as text). */
export function plainValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? Number(value) : value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(plainValue);
  if (isTyped(value)) return plainValue(value.value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = plainValue(item);
  return out;
}

/** One header value as {@link HeaderValue}; undefined for a void value. */
export function headerValue(value: unknown): HeaderValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    case 'undefined':
      return undefined;
    default: {
      if (value === null) return undefined;
      const plain = plainValue(value);
      if (typeof plain === 'string' || typeof plain === 'number' || typeof plain === 'boolean') return plain;
      return JSON.stringify(plain);
    }
  }
}

/** The header object of one AMQP delivery on `subscription`, as a subscriber receives it. */
export function amqpReceivedHeaders(
  message: ConsumeMessage,
  subscription: SubscriptionId,
  consumerTag: string,
): ReceivedHeaders {
  const header: Record<string, HeaderValue> = {};
  const application = message.properties.headers;
  if (application) {
    for (const key in application) {
      const value = headerValue(application[key]);
      if (value !== undefined) header[key] = value;
    }
  }
  const fields = message.fields;
  header.consumer_tag = consumerTag;
  const mode: unknown = message.properties.deliveryMode;
  if (typeof mode === 'number') header.delivery_mode = mode;
  header.exchange = fields.exchange;
  header['message-id'] = String(fields.deliveryTag);
  header.redelivered = fields.redelivered;
  header.routing_key = fields.routingKey;
  header.subscription = subscription;
  return header as unknown as ReceivedHeaders;
}
