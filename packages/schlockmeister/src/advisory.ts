/**
 * ActiveMQ consumer advisories: the broker publishes one to `ActiveMQ.Advisory.Consumer.Queue.<queue>`
 * whenever a consumer of `<queue>` starts or stops. Over STOMP the frame's `destination` header names the
 * advisory topic, so the queue name is read from there, not from the body (whose format depends on the
 * broker's STOMP translator — see the README: on a broker without XStream the body never arrives at all).
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
