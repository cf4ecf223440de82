/**
 * Where a send goes on RabbitMQ, and with which properties (wire-format.md, "AMQP 0-9-1"): the
 * default exchange with the queue as routing key (or the `exchange` option), the topic's fanout
 * exchange, or, for a delayed message, a holding queue or the plugin's `delayed` exchange.
 */
import type { Options } from 'amqplib';
import type { Publication } from '@zocalo/workflows';
import { BrokerError, DestinationNotFoundError, MessageRefusedError } from '@zocalo/workflows';
import type { DelayTarget } from './delayed-delivery';
import { DELAYED_EXCHANGE, HoldingQueues, delayMilliseconds } from './delayed-delivery';
import type { Session } from './session';

/** Where one send goes, and how. */
export interface Route {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
}

/**
 * What AMQP 0-9-1 and amqplib cannot carry. amqplib throws while it encodes such a publish, which
 * looked like a lost channel: the send was retried five times and every send in flight on the
 * channel with it. A header name is a short string (255 bytes); amqplib encodes a header table in a
 * 64 kB buffer (our own headers, such as `x-delay`, are counted with a margin); RabbitMQ refuses a
 * message over `max_message_size` (128 MB by default, 3.10).
 */
const MAX_HEADER_NAME_BYTES = 255;
const MAX_HEADER_TABLE_BYTES = 65_536 - 512;
export const MAX_MESSAGE_BYTES = 134_217_728;

/** Throw a {@link MessageRefusedError} for a publication RabbitMQ or amqplib would refuse. */
export function checkAmqpLimits(publication: Publication): void {
  const headers = publication.headers;
  if (headers !== undefined) {
    let table = 4;
    for (const name of Object.keys(headers)) {
      const nameBytes = Buffer.byteLength(name);
      if (nameBytes > MAX_HEADER_NAME_BYTES) {
        throw new MessageRefusedError(
          'amqp',
          `header name "${name.slice(0, 64)}..." is ${nameBytes} bytes`,
          `at most ${MAX_HEADER_NAME_BYTES} (an AMQP short string)`,
        );
      }
      const value = headers[name];
      // amqplib writes a whole number as a signed 64-bit integer; beyond that it cannot encode it.
      if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) >= 2 ** 63) {
        throw new MessageRefusedError(
          'amqp',
          `header "${name.slice(0, 64)}" is ${value}, a whole number beyond 64 bits`,
          'AMQP carries at most a signed 64-bit integer (send it as text)',
        );
      }
      table += 2 + nameBytes + (typeof value === 'string' ? 4 + Buffer.byteLength(value) : 8);
    }
    if (table > MAX_HEADER_TABLE_BYTES) {
      throw new MessageRefusedError(
        'amqp',
        `the headers encode to ${table} bytes`,
        `at most ${MAX_HEADER_TABLE_BYTES} (amqplib's field-table buffer)`,
      );
    }
  }
  const bytes =
    typeof publication.body === 'string' ? Buffer.byteLength(publication.body) : publication.body.length;
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new MessageRefusedError(
      'amqp',
      `the body is ${bytes} bytes`,
      `at most ${MAX_MESSAGE_BYTES} (RabbitMQ's default max_message_size)`,
    );
  }
}

// The common cases share one options object each (amqplib only reads it).
const PERSISTENT_MANDATORY: Options.Publish = Object.freeze({ deliveryMode: 2, mandatory: true });
const TRANSIENT_MANDATORY: Options.Publish = Object.freeze({ deliveryMode: 1, mandatory: true });
const PERSISTENT: Options.Publish = Object.freeze({ deliveryMode: 2, mandatory: false });

/**
 * Publish properties: `delivery_mode` 2 (1 when not persistent; broadcasts are persistent, as in
 * python-workflows), application headers, `expiration` in integer milliseconds as text, and
 * `mandatory` for queue sends (so that a send to a missing queue comes back instead of vanishing).
 */
export function publishOptions(publication: Publication): Options.Publish {
  const mandatory = publication.kind === 'queue';
  const deliveryMode = publication.persistent === false ? 1 : 2;
  if (publication.headers === undefined && publication.expiration === undefined) {
    return mandatory ? (deliveryMode === 2 ? PERSISTENT_MANDATORY : TRANSIENT_MANDATORY) : PERSISTENT;
  }
  const options: Options.Publish = { deliveryMode, mandatory };
  if (publication.headers !== undefined) options.headers = publication.headers;
  if (publication.expiration !== undefined) {
    options.expiration = String(Math.max(1, Math.round(publication.expiration * 1000)));
  }
  return options;
}

export function bodyBuffer(publication: Publication): Buffer {
  const body = publication.body;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** The route of a send without delay, when its exchange is known to exist. */
export function plainRoute(publication: Publication): Route {
  return publication.kind === 'queue'
    ? {
        exchange: publication.exchange ?? '',
        routingKey: publication.destination,
        content: bodyBuffer(publication),
        options: publishOptions(publication),
      }
    : {
        exchange: publication.destination,
        routingKey: '',
        content: bodyBuffer(publication),
        options: publishOptions(publication),
      };
}

/** Works out routes that need the broker first: exchanges to check or declare, delay queues. */
export class Router {
  private readonly holding = new HoldingQueues<Session>((session, name, args) =>
    // A holding queue of this name (same delay, same target) declared with another type is used as it is.
    session.topology.declareQueue(name, { durable: true, arguments: args }).then(() => undefined),
  );
  /** Queues bound to the plugin's `delayed` exchange by this transport. */
  private readonly delayedBindings = new Set<string>();

  constructor(private readonly transportName: string) {}

  /** Forget what was declared (after a reconnect). */
  clear(): void {
    this.holding.clear();
    this.delayedBindings.clear();
  }

  async route(session: Session, publication: Publication): Promise<Route> {
    const plain = plainRoute(publication);
    const topology = session.topology;
    if (publication.kind === 'topic') await topology.ensureFanout(publication.destination);
    else if (publication.exchange !== undefined && !(await topology.exchangeExists(publication.exchange))) {
      throw new BrokerError(
        `amqp transport: no exchange "${publication.exchange}" on the broker; ` +
          `the message to "${publication.destination}" was not sent`,
      );
    }
    if (publication.delay === undefined) return plain;

    const ms = delayMilliseconds(publication.delay);
    if (publication.kind === 'queue' && publication.exchange === undefined) {
      // Like a plain send, a delayed send to a missing queue fails now rather than vanish later.
      if (!(await topology.queueExists(publication.destination))) {
        throw new DestinationNotFoundError(publication.destination, this.transportName);
      }
      if (session.delayedExchange) return this.pluginRoute(session, publication, plain, ms);
    }
    const target: DelayTarget =
      publication.kind === 'topic'
        ? { kind: 'topic', exchange: publication.destination, routingKey: '' }
        : { kind: 'queue', exchange: publication.exchange ?? '', routingKey: publication.destination };
    const holdingQueue = await this.holding.ensure(session, target, ms, session.holdingQueueType);
    // The broker strips `expiration` when dead-lettering, and a shorter one would release it early.
    const { expiration: _dropped, ...options } = plain.options;
    return {
      exchange: '',
      routingKey: holdingQueue,
      content: plain.content,
      options: { ...options, mandatory: true },
    };
  }

  /** python-workflows' way: the plugin's `delayed` exchange with header `x-delay`. */
  private async pluginRoute(
    session: Session,
    publication: Publication,
    plain: Route,
    ms: number,
  ): Promise<Route> {
    const queue = publication.destination;
    if (!this.delayedBindings.has(queue)) {
      await session.topology.withChannel((channel) => channel.bindQueue(queue, DELAYED_EXCHANGE, queue));
      this.delayedBindings.add(queue);
    }
    return {
      exchange: DELAYED_EXCHANGE,
      routingKey: queue,
      content: plain.content,
      // The plugin routes only when the delay is over, so `mandatory` would return every message.
      options: { ...plain.options, mandatory: false, headers: { ...publication.headers, 'x-delay': ms } },
    };
  }
}
