/**
 * The STOMP frames of wire-format.md ("STOMP"): what a send, a subscription and an acknowledgement put
 * on the wire, and the header object a subscriber receives. Header values are plain text here;
 * stompit escapes them as STOMP 1.1/1.2 require (`\\`, `\n`, `\r`, `:`), so no value can break a frame
 * or inject a header.
 */
import type { HeaderValue, Publication, ReceivedHeaders, SubscriptionRecord } from '@zocalo/workflows';
import { MessageRefusedError } from '@zocalo/workflows';
import { escapeHeader12 } from './header-escaping';
import type { IncomingHeaders } from './stomp-link';
import { prefixed } from './stomp-settings';

/** Headers the transport sets itself; an application header of the same name is left out. */
const RESERVED = new Set(['destination', 'receipt', 'transaction', 'content-length']);

/** `/queue/<prefix>.<name>` or `/topic/<prefix>.<name>`. */
export function destinationOf(kind: 'queue' | 'topic' | 'temporary', prefix: string, name: string): string {
  return `/${kind === 'topic' ? 'topic' : 'queue'}/${prefixed(prefix, name)}`;
}

/** The broker's frame limits (see StompTransportOptions.maxHeaderLength). */
export interface FrameLimits {
  readonly maxHeaderLength: number;
  readonly maxHeaders: number;
  readonly maxDataLength: number;
}

/** Headers the transport may still add to a SEND after {@link sendHeaders}: receipt, transaction. */
const ADDED_LATER = 2;

/**
 * Throw a {@link MessageRefusedError} for a SEND that ActiveMQ would answer by dropping the connection
 * (and with it every send in flight beside it). Header lines are measured as STOMP 1.2 escapes them,
 * in UTF-8 bytes, as the broker reads them.
 */
export function checkFrameLimits(
  headers: Record<string, string>,
  bodyBytes: number,
  limits: FrameLimits,
): void {
  let count = ADDED_LATER;
  for (const name in headers) {
    count++;
    if (name.length === 0)
      throw new MessageRefusedError('stomp', 'a header has an empty name', 'STOMP needs one');
    const line =
      Buffer.byteLength(escapeHeader12(name)) + 1 + Buffer.byteLength(escapeHeader12(headers[name]));
    if (line > limits.maxHeaderLength) {
      throw new MessageRefusedError(
        'stomp',
        `header "${name.slice(0, 64)}" is ${line} bytes on the wire`,
        `at most ${limits.maxHeaderLength} (maxHeaderLength)`,
      );
    }
  }
  if (count > limits.maxHeaders) {
    throw new MessageRefusedError(
      'stomp',
      `${count} headers (the transport's own included)`,
      `at most ${limits.maxHeaders} (maxHeaders)`,
    );
  }
  if (bodyBytes > limits.maxDataLength) {
    throw new MessageRefusedError(
      'stomp',
      `the body is ${bodyBytes} bytes`,
      `at most ${limits.maxDataLength} (maxDataLength)`,
    );
  }
}

/** The headers of the SEND frame for a publication (transaction and receipt are added by the caller). */
export function sendHeaders(
  publication: Publication,
  prefix: string,
  now: number = Date.now(),
): Record<string, string> {
  const headers: Record<string, string> = {};
  const application = publication.headers;
  if (application !== undefined) {
    for (const name of Object.keys(application)) {
      if (!RESERVED.has(name)) headers[name] = String(application[name]);
    }
  }
  headers.destination = destinationOf(publication.kind, prefix, publication.destination);
  // As python-workflows: an explicit `persistent` header wins over the option.
  if (publication.persistent !== undefined && headers.persistent === undefined) {
    headers.persistent = publication.persistent ? 'true' : 'false';
  }
  if (publication.delay !== undefined)
    headers.AMQ_SCHEDULED_DELAY = String(Math.round(publication.delay * 1000));
  if (publication.expiration !== undefined) {
    headers.expires = String(now + Math.round(publication.expiration * 1000));
  }
  headers['content-length'] = String(
    typeof publication.body === 'string' ? Buffer.byteLength(publication.body) : publication.body.length,
  );
  return headers;
}

/**
 * Prefetch of subscriptions without acknowledgement that set none: how far the broker may push ahead
 * of the callback (such messages are acked as they are handed to it).
 */
export const NO_ACK_PREFETCH = 100;

/** The `activemq.prefetchSize` of a subscription: its own, else the default (undefined: the broker's). */
export function subscriptionPrefetch(
  record: SubscriptionRecord,
  defaultPrefetch: number | undefined,
): number | undefined {
  return record.prefetch ?? defaultPrefetch ?? (record.acknowledgement ? undefined : NO_ACK_PREFETCH);
}

/** The headers of the SUBSCRIBE frame for a subscription. */
export function subscribeHeaders(
  record: SubscriptionRecord,
  prefix: string,
  defaultPrefetch: number | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {
    destination: destinationOf(record.kind, prefix, record.destination),
    id: String(record.id),
    // Subscriptions without acknowledgement too: ActiveMQ ignores the prefetch of an `auto`
    // subscription and pushes without limit; the transport acks each message as it is handed to the
    // callback (see StompTransport.handedOver), so the prefetch bounds what waits for a slow callback.
    ack: 'client-individual',
  };
  if (record.exclusive) headers['activemq.exclusive'] = 'true';
  if (record.priority !== undefined) headers['activemq.priority'] = String(record.priority);
  if (record.retroactive) headers['activemq.retroactive'] = 'true';
  if (record.selector !== undefined) headers.selector = record.selector;
  const prefetch = subscriptionPrefetch(record, defaultPrefetch);
  if (prefetch !== undefined) headers['activemq.prefetchSize'] = String(prefetch);
  return headers;
}

/**
 * The header object for a subscriber: every header the broker sent, verbatim as text, except
 * `subscription` (our numeric subscription id — ActiveMQ echoes the STOMP id we chose, which is the
 * same number) and `redelivered` (a boolean).
 */
export function stompReceivedHeaders(headers: IncomingHeaders, subscription: number): ReceivedHeaders {
  const result: Record<string, HeaderValue> = {};
  for (const name in headers) {
    const value = headers[name];
    const text = typeof value === 'string' ? value : String(value);
    // A header named `__proto__` is data too: plain assignment would drop it (or set the prototype).
    if (name === '__proto__') {
      Object.defineProperty(result, name, {
        value: text,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      result[name] = text;
    }
  }
  result.subscription = subscription;
  result.redelivered = headers.redelivered === 'true';
  return result as unknown as ReceivedHeaders;
}

/** The headers of an ACK or NACK: STOMP 1.2 names the delivery by its `ack` header, 1.1 by message-id. */
export function ackHeaders(
  version: string,
  ackId: string,
  messageId: string,
  subscriptionId: string,
  transaction: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> =
    version === '1.2' ? { id: ackId } : { 'message-id': messageId, subscription: subscriptionId };
  if (transaction !== undefined) headers.transaction = transaction;
  return headers;
}

/** @deprecated Use {@link stompReceivedHeaders}. */
export const receivedHeaders = stompReceivedHeaders;
