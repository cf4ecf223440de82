/**
 * What every transport shares, written once: option checks against the declared capabilities, JSON
 * mangling with raw fallback, subscription and transaction bookkeeping, one-message-at-a-time
 * delivery per subscription, stale-ack protection and middleware. A broker transport extends this
 * class and implements only the protected broker hooks at the bottom.
 */
import { decodeBody, encodeBody, loneSurrogateIndex, replacedInvalidUtf8 } from './body';
import {
  DisconnectedError,
  InvalidArgumentError,
  UnknownSubscriptionError,
  UnknownTransactionError,
  UnsupportedCapabilityError,
} from './errors';
import { temporaryQueueName } from './host-id';
import type { MiddlewareChains } from './middleware/chains';
import { NO_MIDDLEWARE, middlewareChains, runChain } from './middleware/chains';
import type { Logger } from './logger';
import { getDefaultLogger } from './logger';
import type {
  AckOptions,
  BroadcastOptions,
  BroadcastSubscribeOptions,
  MessageBody,
  MessageCallback,
  MessageHeaders,
  NackOptions,
  ReceivedHeaders,
  SendOptions,
  StatusMessage,
  SubscribeCall,
  SubscribeOptions,
  SubscriptionId,
  TemporarySubscribeOptions,
  TemporarySubscription,
  TransactionId,
  TransactionOptions,
  Transport,
  TransportCapabilities,
  TransportEvent,
  TransportMiddleware,
} from './transport';

/** The topic status messages are broadcast to, and their expiry in seconds. */
export const STATUS_TOPIC = 'transient.status';
export const STATUS_EXPIRATION = 15;

/** Options every transport accepts. */
export interface CommonTransportOptions {
  /** Where the transport logs warnings and callback errors. Default: the process-wide pino logger. */
  readonly logger?: Logger;
}

/** A send or broadcast as handed to the broker hook: body encoded, options checked. */
export interface Publication {
  readonly kind: 'queue' | 'topic';
  readonly destination: string;
  readonly body: string | Buffer;
  readonly headers: MessageHeaders | undefined;
  /** Seconds, > 0, only when the caller asked for a delay. */
  readonly delay: number | undefined;
  /** Seconds, > 0, only when the caller asked for an expiration. */
  readonly expiration: number | undefined;
  /** Always set for queue sends (default true); undefined for broadcasts. */
  readonly persistent: boolean | undefined;
  readonly exchange: string | undefined;
  readonly transaction: TransactionId | undefined;
}

/** Everything the transport knows about one subscription. Broker hooks may keep state in `broker`. */
export interface SubscriptionRecord {
  readonly id: SubscriptionId;
  readonly kind: 'queue' | 'topic' | 'temporary';
  /** Queue or topic name, without any broker prefix. */
  readonly destination: string;
  readonly callback: MessageCallback;
  readonly acknowledgement: boolean;
  /** Parse JSON bodies (false with `disableMangling` or `rawBytes`). */
  readonly mangle: boolean;
  /** Deliver bodies as Buffers of the broker's bytes: hand `deliver` the bytes, never decoded text. */
  readonly rawBytes: boolean;
  /** Prefetch as asked for; undefined means the transport's default. */
  readonly prefetch: number | undefined;
  readonly priority: number | undefined;
  readonly selector: string | undefined;
  readonly exclusive: boolean;
  readonly retroactive: boolean;
  /** Free for the broker transport's own per-subscription state. */
  broker: unknown;
  /** @internal delivery state */
  busy: boolean;
  /** @internal */
  readonly backlog: Array<[ReceivedHeaders, string | Buffer]>;
  /** @internal deliveries awaiting ack/nack, by message-id */
  readonly outstanding: Map<string, ReceivedHeaders>;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Marks a header object handed out with a delivery awaiting acknowledgement, so that an ack of an
 * earlier delivery of the same message-id (AMQP delivery tags restart on a new channel; memory and
 * ActiveMQ keep a message's id across redeliveries) is recognised as stale. Non-enumerable, so it is
 * invisible to `Object.keys`, spreading, JSON and `toEqual`; a copy of a header is therefore not
 * marked and is honoured as the message's current delivery. (Cheaper per message than a WeakSet of
 * every header handed out.)
 */
const DELIVERED: unique symbol = Symbol('zocalo.delivered');
const MARK: PropertyDescriptor = Object.freeze({ value: true });

function markDelivered(header: ReceivedHeaders): void {
  try {
    Object.defineProperty(header, DELIVERED, MARK);
  } catch {
    // A frozen header from a third-party transport: it just cannot be recognised as stale.
  }
}

function wasDelivered(header: ReceivedHeaders): boolean {
  return (header as unknown as Record<symbol, unknown>)[DELIVERED] === true;
}

function reject(error: unknown): Promise<never> {
  return Promise.reject(error);
}

function checkSeconds(name: string, value: number | undefined): number | undefined {
  if (value === undefined || value === 0) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a number of seconds >= 0, got ${String(value)}`);
  }
  return value;
}

function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError(`${what} name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
}

/** The body as bytes, for `rawBytes` subscriptions: a string arrives as its UTF-8 bytes. */
function bodyBytes(body: string | Buffer): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return (
    value !== null && typeof value === 'object' && typeof (value as PromiseLike<void>).then === 'function'
  );
}

export abstract class CommonTransport implements Transport {
  abstract readonly name: string;
  abstract readonly capabilities: TransportCapabilities;

  protected readonly logger: Logger;
  protected readonly subscriptions = new Map<SubscriptionId, SubscriptionRecord>();
  /** Open transactions, with the deliveries they settle (taken off the outstanding list on commit). */
  protected readonly transactions = new Map<TransactionId, Array<[SubscriptionRecord, ReceivedHeaders]>>();
  private connected = false;
  /** Whether connect() ever succeeded: a DisconnectedError says which kind of mistake it is. */
  private everConnected = false;
  private nextSubscriptionId = 1;
  private nextTransactionId = 1;
  private readonly middleware: TransportMiddleware[] = [];
  private chains: MiddlewareChains = NO_MIDDLEWARE;
  private readonly listeners = new Set<(event: TransportEvent) => void>();

  constructor(options: CommonTransportOptions = {}) {
    this.logger = options.logger ?? getDefaultLogger();
  }

  // ---------------------------------------------------------------- connection

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.connectBroker();
    this.connected = true;
    this.everConnected = true;
    this.emit({ type: 'connected' });
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    try {
      await this.disconnectBroker();
    } finally {
      this.subscriptions.clear();
      this.transactions.clear();
      this.emit({ type: 'disconnected' });
    }
  }

  isConnected(): boolean {
    return this.connected;
  }

  onEvent(listener: (event: TransportEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tell listeners about a connection state change (broker transports call this on reconnects). */
  protected emit(event: TransportEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, event: event.type }, 'transport event listener threw');
      }
    }
  }

  /** Mark the connection lost or regained without going through connect()/disconnect(). */
  protected setConnected(connected: boolean): void {
    this.connected = connected;
  }

  /**
   * Broker transports call this when they give up reconnecting, after closing their own connections
   * and timers. The transport ends as after disconnect(): subscriptions end (their pending deliveries
   * and backlogs are forgotten: the broker has taken the messages back), open transactions are dropped,
   * and listeners get `disconnected` with the reason. disconnect() afterwards does nothing; connect()
   * starts afresh. Does nothing if the transport is already disconnected.
   */
  protected connectionFailed(error: Error): void {
    if (!this.connected) return;
    this.connected = false;
    for (const record of this.subscriptions.values()) {
      record.outstanding.clear();
      record.backlog.length = 0;
    }
    this.subscriptions.clear();
    this.transactions.clear();
    this.emit({ type: 'disconnected', error });
  }

  // ---------------------------------------------------------------- sending

  send(queue: string, message: unknown, options?: SendOptions): Promise<void> {
    return this.publishMessage('queue', queue, message, false, options);
  }

  rawSend(queue: string, body: string | Buffer, options?: SendOptions): Promise<void> {
    return this.publishMessage('queue', queue, body, true, options);
  }

  broadcast(topic: string, message: unknown, options?: BroadcastOptions): Promise<void> {
    return this.publishMessage('topic', topic, message, false, options);
  }

  rawBroadcast(topic: string, body: string | Buffer, options?: BroadcastOptions): Promise<void> {
    return this.publishMessage('topic', topic, body, true, options);
  }

  broadcastStatus(status: StatusMessage): Promise<void> {
    for (const field of ['host', 'workflows', 'status'] as const) {
      if (status === null || typeof status !== 'object' || status[field] === undefined) {
        return reject(
          new InvalidArgumentError(
            `status message needs the fields host, workflows and status; "${field}" is missing`,
          ),
        );
      }
    }
    const options = this.capabilities.expiration ? { expiration: STATUS_EXPIRATION } : undefined;
    return this.broadcast(STATUS_TOPIC, status, options);
  }

  private publishMessage(
    kind: 'queue' | 'topic',
    destination: string,
    message: unknown,
    raw: boolean,
    options: SendOptions | undefined,
  ): Promise<void> {
    try {
      if (!this.connected)
        throw new DisconnectedError(kind === 'queue' ? 'send' : 'broadcast', this.name, !this.everConnected);
      checkName(kind, destination);
      if (raw && typeof message !== 'string' && !Buffer.isBuffer(message)) {
        throw new InvalidArgumentError(
          `raw body must be a string or a Buffer, got ${typeof message}; use send/broadcast for objects`,
        );
      }
      if (this.chains.send.length > 0) {
        return runChain(
          this.chains.send,
          { kind, destination, message, raw, options: options ?? {} },
          (outgoing) =>
            this.publish(
              this.preparePublication(
                outgoing.kind,
                outgoing.destination,
                outgoing.message,
                outgoing.raw,
                outgoing.options,
              ),
            ),
        );
      }
      return this.publish(this.preparePublication(kind, destination, message, raw, options));
    } catch (error) {
      return reject(error);
    }
  }

  private preparePublication(
    kind: 'queue' | 'topic',
    destination: string,
    message: unknown,
    raw: boolean,
    options: SendOptions | undefined,
  ): Publication {
    // Here, after the send middleware, which may have changed the destination.
    this.checkDestination(kind, destination);
    const body = raw ? (message as string | Buffer) : encodeBody(message);
    // JSON escapes a lone surrogate (send keeps it); as raw text it would reach the broker as U+FFFD
    // on STOMP and AMQP, and unchanged in memory: refused on every transport, as Python refuses to
    // encode it.
    if (raw && typeof body === 'string') {
      const at = loneSurrogateIndex(body);
      if (at !== -1) {
        throw new InvalidArgumentError(
          `raw body is not valid Unicode: a lone surrogate (\\u${body.charCodeAt(at).toString(16)}) at ` +
            `index ${at} cannot be encoded as UTF-8; fix the text (toWellFormed() replaces it by ` +
            'U+FFFD), send a Buffer, or use send/broadcast (JSON escapes it)',
        );
      }
    }
    if (options === undefined) {
      return {
        kind,
        destination,
        body,
        headers: undefined,
        delay: undefined,
        expiration: undefined,
        persistent: kind === 'queue' ? true : undefined,
        exchange: undefined,
        transaction: undefined,
      };
    }
    const delay = checkSeconds('delay', options.delay);
    const expiration = checkSeconds('expiration', options.expiration);
    if (delay !== undefined) this.require('delay');
    if (expiration !== undefined) this.require('expiration');
    if (options.exchange !== undefined) {
      if (kind !== 'queue')
        throw new InvalidArgumentError('the exchange option applies to send, not broadcast');
      this.require('exchange');
    }
    if (options.transaction !== undefined) this.requireTransaction(options.transaction);
    if (options.headers !== undefined) this.checkHeaders(options.headers);
    return {
      kind,
      destination,
      body,
      headers: options.headers,
      delay,
      expiration,
      persistent: kind === 'queue' ? options.persistent !== false : undefined,
      exchange: options.exchange,
      transaction: options.transaction,
    };
  }

  private checkHeaders(headers: MessageHeaders): void {
    if (headers === null || typeof headers !== 'object') {
      throw new InvalidArgumentError('headers must be an object of string, number or boolean values');
    }
    // A header must arrive as an own property of the receiver's header object. A symbol key is not a
    // name any wire carries, and `__proto__` is no ordinary property name: `headers[name] = value`, as
    // the broker clients write and read headers, sets the prototype instead, so the header vanished.
    if (Object.getOwnPropertySymbols(headers).length > 0) {
      throw new InvalidArgumentError(
        'header names must be strings; a symbol-keyed header cannot be sent, use a string name',
      );
    }
    for (const key of Object.keys(headers)) {
      if (key === '__proto__') {
        throw new InvalidArgumentError(
          'header "__proto__" cannot be sent: JavaScript reads that name as the prototype of the ' +
            'header object, so it would be dropped on the way; give the header another name',
        );
      }
      const value: unknown = headers[key];
      const type = typeof value;
      if (type !== 'string' && type !== 'number' && type !== 'boolean') {
        throw new InvalidArgumentError(
          `header "${key}" must be a string, number or boolean, got ${value === null ? 'null' : type}`,
        );
      }
      // No broker carries NaN or Infinity as a header (AMQP cannot encode them; STOMP would send text).
      if (type === 'number' && !Number.isFinite(value)) {
        throw new InvalidArgumentError(`header "${key}" must be a finite number, got ${String(value)}`);
      }
    }
  }

  use(middleware: TransportMiddleware): void {
    this.middleware.push(middleware);
    this.chains = middlewareChains(this.middleware);
  }

  // ---------------------------------------------------------------- subscribing

  subscribe(
    queue: string,
    callback: MessageCallback,
    options: SubscribeOptions = {},
  ): Promise<SubscriptionId> {
    return this.subscribeThrough({ kind: 'queue', destination: queue, callback, options });
  }

  subscribeBroadcast(
    topic: string,
    callback: MessageCallback,
    options: BroadcastSubscribeOptions = {},
  ): Promise<SubscriptionId> {
    return this.subscribeThrough({ kind: 'topic', destination: topic, callback, options });
  }

  async subscribeTemporary(
    hint: string | undefined,
    callback: MessageCallback,
    options: TemporarySubscribeOptions = {},
  ): Promise<TemporarySubscription> {
    const queue = temporaryQueueName(hint);
    const subscriptionId = await this.subscribeThrough({
      kind: 'temporary',
      destination: queue,
      callback,
      options,
    });
    return { subscriptionId, queue };
  }

  private subscribeThrough(call: SubscribeCall): Promise<SubscriptionId> {
    const open = (current: SubscribeCall): Promise<SubscriptionId> =>
      this.addSubscription(
        current.kind,
        current.destination,
        current.callback,
        current.options,
        current.kind === 'queue' && current.options.exclusive === true,
        current.kind === 'topic' && current.options.retroactive === true,
      );
    return this.chains.subscribe.length > 0 ? runChain(this.chains.subscribe, call, open) : open(call);
  }

  private async addSubscription(
    kind: SubscriptionRecord['kind'],
    destination: string,
    callback: MessageCallback,
    options: SubscribeOptions | BroadcastSubscribeOptions | TemporarySubscribeOptions,
    exclusive: boolean,
    retroactive: boolean,
  ): Promise<SubscriptionId> {
    if (!this.connected) throw new DisconnectedError('subscribe', this.name, !this.everConnected);
    checkName(kind === 'topic' ? 'topic' : 'queue', destination);
    this.checkDestination(kind === 'topic' ? 'topic' : 'queue', destination);
    if (typeof callback !== 'function') throw new InvalidArgumentError('subscribe needs a callback function');
    if (options.prefetch !== undefined) {
      this.require('prefetch');
      if (!Number.isInteger(options.prefetch) || options.prefetch < 1) {
        throw new InvalidArgumentError(
          `prefetch must be a whole number >= 1, got ${String(options.prefetch)}`,
        );
      }
    }
    if (options.priority !== undefined) {
      this.require('priority');
      if (!Number.isInteger(options.priority)) {
        throw new InvalidArgumentError(`priority must be a whole number, got ${String(options.priority)}`);
      }
    }
    if (options.selector !== undefined) this.require('selectors');
    if (exclusive) this.require('exclusive');
    if (retroactive) this.require('retroactive');
    const record: SubscriptionRecord = {
      id: this.nextSubscriptionId++,
      kind,
      destination,
      callback,
      acknowledgement: options.acknowledgement === true,
      mangle: options.disableMangling !== true && options.rawBytes !== true,
      rawBytes: options.rawBytes === true,
      prefetch: options.prefetch,
      priority: options.priority,
      selector: options.selector,
      exclusive,
      retroactive,
      broker: undefined,
      busy: false,
      backlog: [],
      outstanding: new Map(),
    };
    this.subscriptions.set(record.id, record);
    try {
      await this.openSubscription(record);
    } catch (error) {
      this.subscriptions.delete(record.id);
      throw error;
    }
    return record.id;
  }

  unsubscribe(subscription: SubscriptionId): Promise<void> {
    return this.chains.unsubscribe.length > 0
      ? runChain(this.chains.unsubscribe, { subscription }, (call) =>
          this.removeSubscription(call.subscription),
        )
      : this.removeSubscription(subscription);
  }

  private async removeSubscription(subscription: SubscriptionId): Promise<void> {
    const record = this.subscriptions.get(subscription);
    if (!record) throw new UnknownSubscriptionError(subscription, this.name);
    this.subscriptions.delete(subscription);
    record.backlog.length = 0;
    await this.closeSubscription(record);
    record.outstanding.clear();
  }

  // ---------------------------------------------------------------- delivery

  /**
   * Hand a message from the broker to its subscription. Broker transports call this for every
   * message; `header` must already carry `message-id` and `subscription`.
   */
  protected deliver(record: SubscriptionRecord, header: ReceivedHeaders, body: string | Buffer): void {
    if (record.busy) {
      record.backlog.push([header, body]);
      return;
    }
    this.dispatch(record, header, body);
  }

  private dispatch(record: SubscriptionRecord, header: ReceivedHeaders, body: string | Buffer): void {
    if (record.acknowledgement) {
      record.outstanding.set(header['message-id'], header);
      markDelivered(header);
    } else {
      this.handedOver(record, header);
    }
    let result: void | Promise<void>;
    try {
      const message: MessageBody = record.rawBytes
        ? bodyBytes(body)
        : record.mangle
          ? decodeBody(this.receivedText(record, header, body))
          : this.receivedText(record, header, body);
      result =
        this.chains.receive.length > 0
          ? runChain(this.chains.receive, { header, message }, async (incoming) =>
              record.callback(incoming.header, incoming.message),
            )
          : record.callback(header, message);
    } catch (error) {
      this.callbackFailed(record, header, error);
      return;
    }
    if (isThenable(result)) {
      record.busy = true;
      result.then(
        () => this.settled(record),
        (error: unknown) => {
          this.callbackFailed(record, header, error);
          this.settled(record);
        },
      );
    }
  }

  /**
   * The body as text. Bytes that are not valid UTF-8 become U+FFFD, as the broker's other clients
   * would read them; that is logged once per delivery, as the callback cannot tell.
   */
  private receivedText(record: SubscriptionRecord, header: ReceivedHeaders, body: string | Buffer): string {
    if (typeof body === 'string') return body;
    const text = body.toString('utf8');
    if (replacedInvalidUtf8(body, text)) {
      const messageId = header['message-id'];
      this.logger.warn(
        { messageId, destination: record.destination, subscription: record.id },
        `message ${messageId} on ${record.destination} is not valid UTF-8; invalid bytes were replaced ` +
          'by U+FFFD (subscribe with rawBytes to receive the bytes)',
      );
    }
    return text;
  }

  private settled(record: SubscriptionRecord): void {
    record.busy = false;
    while (!record.busy && record.backlog.length > 0 && this.subscriptions.get(record.id) === record) {
      const [header, body] = record.backlog.shift()!;
      this.dispatch(record, header, body);
    }
    if (!record.busy) this.subscriptionReady(record);
  }

  private callbackFailed(record: SubscriptionRecord, header: ReceivedHeaders, error: unknown): void {
    const pending = record.acknowledgement && record.outstanding.get(header['message-id']) === header;
    this.logger.error(
      {
        err: error,
        subscription: record.id,
        destination: record.destination,
        messageId: header['message-id'],
      },
      pending
        ? 'message callback failed; releasing the message for redelivery'
        : 'message callback failed; the message was already settled or needs no acknowledgement',
    );
    if (pending) {
      const requeue = this.capabilities.nackRequeue;
      this.nack(header, { requeue }).catch((nackError: unknown) =>
        this.logger.error(
          { err: nackError, messageId: header['message-id'] },
          'could not release the message',
        ),
      );
    }
  }

  /**
   * Refuse a queue or topic name (already checked to be non-empty text) that this broker would read
   * as something else, with an {@link InvalidArgumentError} saying why; ActiveMQ, for one, reads a
   * comma as a list of destinations. Called for every send, broadcast and subscription, before
   * anything goes to the broker. Accepts every name by default.
   */
  protected checkDestination(_kind: 'queue' | 'topic', _name: string): void {}

  /**
   * Called for a subscription without acknowledgement as each message is handed to its callback
   * (just before the callback runs, after any wait in the backlog). A transport that consumes such
   * subscriptions with broker acknowledgements, so that the broker never pushes more than a prefetch
   * ahead of the callback, acknowledges the message here: it is then settled before the callback
   * runs, keeping the at-most-once semantics of a subscription without acknowledgement.
   */
  protected handedOver(_record: SubscriptionRecord, _header: ReceivedHeaders): void {}

  /**
   * Diagnostic: how many messages of a subscription the transport holds that its callback has not
   * been handed yet (they wait for the callback in hand to settle). 0 for an unknown subscription.
   */
  pendingDeliveries(subscription: SubscriptionId): number {
    return this.subscriptions.get(subscription)?.backlog.length ?? 0;
  }

  /** Called when a subscription can take the next message (its callback settled). Memory uses it. */
  protected subscriptionReady(_record: SubscriptionRecord): void {}

  /**
   * Forget every delivery awaiting acknowledgement, e.g. after a reconnect: the broker redelivers
   * them, and an ack of the old delivery is dropped with a warning instead of reaching the new channel.
   */
  protected forgetDeliveries(record: SubscriptionRecord, redelivered = record.acknowledgement): void {
    record.outstanding.clear();
    // Backlogged deliveries awaiting acknowledgement come again from the broker; auto-acknowledged
    // ones never would, so those stay (`redelivered` says otherwise: a transport that acknowledges
    // messages of such subscriptions only in `handedOver` passes true). A callback still running keeps
    // `busy`: no overlap.
    if (redelivered) record.backlog.length = 0;
  }

  // ---------------------------------------------------------------- acknowledgement

  ack(header: ReceivedHeaders, options?: AckOptions): Promise<void> {
    return this.chains.ack.length > 0
      ? runChain(this.chains.ack, { header, options: options ?? {} }, (call) =>
          this.ackDirect(call.header, call.options),
        )
      : this.ackDirect(header, options);
  }

  private ackDirect(header: ReceivedHeaders, options: AckOptions | undefined): Promise<void> {
    try {
      const found = this.settle('ack', header, options?.transaction);
      if (!found) return RESOLVED;
      return this.ackMessage(found, header, options?.transaction);
    } catch (error) {
      return reject(error);
    }
  }

  nack(header: ReceivedHeaders, options?: NackOptions): Promise<void> {
    return this.chains.nack.length > 0
      ? runChain(this.chains.nack, { header, options: options ?? {} }, (call) =>
          this.nackDirect(call.header, call.options),
        )
      : this.nackDirect(header, options);
  }

  private nackDirect(header: ReceivedHeaders, options: NackOptions | undefined): Promise<void> {
    try {
      const requeue = options?.requeue === true;
      if (requeue) this.require('nackRequeue');
      const found = this.settle('nack', header, options?.transaction);
      if (!found) return RESOLVED;
      return this.nackMessage(found, header, requeue, options?.transaction);
    } catch (error) {
      return reject(error);
    }
  }

  /**
   * Check an ack/nack and take the delivery off the outstanding list. Returns the subscription, or
   * undefined (with a warning) when the delivery is no longer awaiting acknowledgement.
   */
  private settle(
    operation: 'ack' | 'nack',
    header: ReceivedHeaders,
    transaction: TransactionId | undefined,
  ): SubscriptionRecord | undefined {
    if (!this.connected) throw new DisconnectedError(operation, this.name, !this.everConnected);
    if (header === null || typeof header !== 'object' || header['message-id'] === undefined) {
      throw new InvalidArgumentError(`${operation} needs the header object the message was received with`);
    }
    if (transaction !== undefined) this.requireTransaction(transaction);
    const id = header['message-id'];
    const record = this.subscriptions.get(Number(header.subscription));
    const pending = record?.outstanding.get(id);
    // A header object we handed out for an earlier delivery of the same id is stale: drop it.
    if (!record || !pending || (pending !== header && wasDelivered(header))) {
      this.logger.warn(
        { operation, messageId: id, subscription: header.subscription },
        `${operation} dropped: the delivery is no longer awaiting acknowledgement ` +
          `(already settled, unsubscribed, not acknowledgement mode, or from before a reconnect)`,
      );
      return undefined;
    }
    // Inside a transaction the delivery stays outstanding until the commit (an abort keeps it).
    if (transaction === undefined) record.outstanding.delete(id);
    else this.transactions.get(transaction)!.push([record, pending]);
    return record;
  }

  // ---------------------------------------------------------------- transactions

  transactionBegin(options: TransactionOptions = {}): Promise<TransactionId> {
    return this.chains.transactionBegin.length > 0
      ? runChain(this.chains.transactionBegin, { options }, (call) => this.beginDirect(call.options))
      : this.beginDirect(options);
  }

  private async beginDirect(options: TransactionOptions): Promise<TransactionId> {
    if (!this.connected) throw new DisconnectedError('begin a transaction', this.name, !this.everConnected);
    this.require('transactions');
    if (options.subscription !== undefined && !this.subscriptions.has(options.subscription)) {
      throw new UnknownSubscriptionError(options.subscription, this.name);
    }
    const id = this.nextTransactionId++;
    await this.beginTransaction(id, options);
    this.transactions.set(id, []);
    return id;
  }

  transactionCommit(transaction: TransactionId): Promise<void> {
    return this.chains.transactionCommit.length > 0
      ? runChain(this.chains.transactionCommit, { transaction }, (call) =>
          this.commitDirect(call.transaction),
        )
      : this.commitDirect(transaction);
  }

  private async commitDirect(transaction: TransactionId): Promise<void> {
    if (!this.connected) throw new DisconnectedError('commit a transaction', this.name, !this.everConnected);
    this.requireTransaction(transaction);
    const settled = this.transactions.get(transaction)!;
    this.transactions.delete(transaction);
    await this.commitTransaction(transaction);
    for (const [record, header] of settled) {
      if (record.outstanding.get(header['message-id']) === header)
        record.outstanding.delete(header['message-id']);
    }
  }

  transactionAbort(transaction: TransactionId): Promise<void> {
    return this.chains.transactionAbort.length > 0
      ? runChain(this.chains.transactionAbort, { transaction }, (call) => this.abortDirect(call.transaction))
      : this.abortDirect(transaction);
  }

  private async abortDirect(transaction: TransactionId): Promise<void> {
    if (!this.connected) throw new DisconnectedError('abort a transaction', this.name, !this.everConnected);
    this.requireTransaction(transaction);
    this.transactions.delete(transaction);
    await this.abortTransaction(transaction);
  }

  private requireTransaction(transaction: TransactionId): void {
    this.require('transactions');
    if (!this.transactions.has(transaction)) throw new UnknownTransactionError(transaction, this.name);
  }

  /** Throw {@link UnsupportedCapabilityError} unless the transport declares the capability. */
  protected require(capability: keyof TransportCapabilities): void {
    if (!this.capabilities[capability]) throw new UnsupportedCapabilityError(capability, this.name);
  }

  // ---------------------------------------------------------------- broker hooks

  /** Open the connection(s) to the broker. */
  protected abstract connectBroker(): Promise<void>;
  /** Close everything; unacknowledged messages go back to the broker. */
  protected abstract disconnectBroker(): Promise<void>;
  /** Put one message on the broker (or into the open transaction). */
  protected abstract publish(publication: Publication): Promise<void>;
  /** Start consuming for a subscription; call {@link deliver} for each message. */
  protected abstract openSubscription(record: SubscriptionRecord): Promise<void>;
  /** Stop consuming; release unacknowledged messages; delete temporary queues. */
  protected abstract closeSubscription(record: SubscriptionRecord): Promise<void>;
  protected abstract ackMessage(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    transaction: TransactionId | undefined,
  ): Promise<void>;
  protected abstract nackMessage(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    requeue: boolean,
    transaction: TransactionId | undefined,
  ): Promise<void>;
  protected abstract beginTransaction(transaction: TransactionId, options: TransactionOptions): Promise<void>;
  protected abstract commitTransaction(transaction: TransactionId): Promise<void>;
  protected abstract abortTransaction(transaction: TransactionId): Promise<void>;
}
