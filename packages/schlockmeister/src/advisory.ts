/**
 * ActiveMQ consumer advisories: the broker publishes one to `ActiveMQ.Advisory.Consumer.Queue.<queue>`
 * whenever a consumer of `<queue>` starts or stops. Over STOMP the frame's `destination` header names the
 * advisory topic, so the queue name is read from there; the body (JSON with XStream and Jettison on the
 * broker's classpath, as scripts/brokers.sh sets up) says whether a consumer started or stopped.
 */

/** The advisory topic (a wildcard over all queues) Schlockmeister subscribes to. */
export const CONSUMER_ADVISORY_TOPIC = 'ActiveMQ.Advisory.Consumer.Queue.>';

const ADVISORY_PREFIX = 'ActiveMQ.Advisory.Consumer.Queue.';

/**
 * The queue a consumer advisory is about, from the frame's `destination` header
 * (`/topic/ActiveMQ.Advisory.Consumer.Queue.<queue>`, with or without the `/topic/` part), or undefined
 * when the header is not a consumer advisory for a queue.
 */
export function advisoryQueue(destination: unknown): string | undefined {
  if (typeof destination !== 'string') return undefined;
  const name = destination.startsWith('/topic/') ? destination.slice('/topic/'.length) : destination;
  if (!name.startsWith(ADVISORY_PREFIX)) return undefined;
  const queue = name.slice(ADVISORY_PREFIX.length);
  return queue.length > 0 ? queue : undefined;
}

/** What a consumer advisory says happened, read from its JSON body (`jms-advisory-json`). */
export type AdvisoryEvent =
  /** A consumer started; `selector` is its JMS selector, if any. */
  | { readonly kind: 'consumer-added'; readonly consumer: string; readonly selector?: string }
  /** A consumer stopped. */
  | { readonly kind: 'consumer-removed'; readonly consumer: string }
  /** A body this code cannot read (another translator, or none): activity, nothing more. */
  | { readonly kind: 'unknown' };

function consumerKey(id: unknown): string | undefined {
  if (typeof id !== 'object' || id === null) return undefined;
  const { connectionId, sessionId, value } = id as Record<string, unknown>;
  if (typeof connectionId !== 'string') return undefined;
  return `${connectionId}:${String(sessionId)}:${String(value)}`;
}

/**
 * Reads a consumer advisory body: `{"ConsumerInfo": {consumerId, selector, ...}}` when a consumer
 * starts, `{"RemoveInfo": {objectId}}` when it stops (ActiveMQ 5.17 with XStream/Jettison, as checked).
 */
export function parseAdvisory(body: unknown): AdvisoryEvent {
  let value = body;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return { kind: 'unknown' };
    }
  }
  if (typeof value !== 'object' || value === null) return { kind: 'unknown' };
  const record = value as Record<string, unknown>;
  const info = record.ConsumerInfo as Record<string, unknown> | undefined;
  if (typeof info === 'object' && info !== null) {
    const consumer = consumerKey(info.consumerId);
    if (consumer === undefined) return { kind: 'unknown' };
    return typeof info.selector === 'string'
      ? { kind: 'consumer-added', consumer, selector: info.selector }
      : { kind: 'consumer-added', consumer };
  }
  const remove = record.RemoveInfo as Record<string, unknown> | undefined;
  if (typeof remove === 'object' && remove !== null) {
    const consumer = consumerKey(remove.objectId);
    if (consumer !== undefined) return { kind: 'consumer-removed', consumer };
  }
  return { kind: 'unknown' };
}

/** True for a Schlockmeister's own subscription (a `JMSXDeliveryCount>` selector): not a service consumer. */
export function isQuarantineSelector(selector: string | undefined): boolean {
  return selector !== undefined && /JMSXDeliveryCount\s*>/.test(selector);
}
