/**
 * The Transport contract: every operation a Zocalo service uses to talk to a message broker.
 *
 * One interface for ActiveMQ (STOMP), RabbitMQ (AMQP 0-9-1), the embedded memory transport and any
 * third-party transport. The semantics follow `wire-format.md` of the Zocalo spec so that TypeScript
 * and Python services can share a broker. Implementations normally extend {@link CommonTransport},
 * which holds everything transports share, and prove themselves with `@zocalo/transport-conformance`.
 */

/** A header value as it travels on the wire. STOMP carries every value as text. */
export type HeaderValue = string | number | boolean;

/** Application headers to send with a message. */
export type MessageHeaders = Readonly<Record<string, HeaderValue>>;

/** Subscription ids are allocated by the transport, unique within one transport instance. */
export type SubscriptionId = number;

/** Transaction ids are allocated by the transport, unique within one transport instance. */
export type TransactionId = number;

/**
 * The header object handed to a subscriber with each message.
 *
 * It holds the message's application headers plus the broker's own (`destination`, `redelivered`,
 * `x-delivery-count`, `exchange`, `routing_key`, ...). `message-id` and `subscription` are always
 * present: they are all that {@link Transport.ack} and {@link Transport.nack} need.
 */
export interface ReceivedHeaders {
  readonly 'message-id': string;
  readonly subscription: SubscriptionId;
  /** True when the broker has delivered this message before (to this or another consumer). */
  readonly redelivered?: boolean;
  readonly [header: string]: HeaderValue | undefined;
}

/**
 * A message body as received: the parsed JSON value when mangling is on (a body that is not valid
 * JSON arrives as the raw string), the body text when mangling is disabled, or a Node `Buffer` of the
 * broker's bytes when the subscription asked for `rawBytes`. As text, bytes that are not valid UTF-8
 * read as U+FFFD, and the transport logs a warning naming the message.
 */
export type MessageBody = unknown;

/**
 * Called once per delivered message. A subscription's callback sees one message at a time: if it
 * returns a promise, the next message of that subscription waits until the promise settles.
 *
 * A callback that throws (or rejects) on a subscription with acknowledgement gets its message
 * released for redelivery (`nack` with `requeue: true`) unless it already acked or nacked it.
 */
export type MessageCallback<T = MessageBody> = (header: ReceivedHeaders, message: T) => void | Promise<void>;

/** Options shared by every send and broadcast. Times are in seconds; fractions are allowed. */
export interface PublishOptions {
  /**
   * Application headers. Names are case-sensitive strings (not `__proto__`); values are text, finite
   * numbers or booleans, and travel as text on STOMP. Anything else is an `InvalidArgumentError`.
   */
  readonly headers?: MessageHeaders;
  /** Hold the message back for this many seconds before it can be delivered. Capability `delay`. */
  readonly delay?: number;
  /** Discard the message if it has not been delivered within this many seconds. Capability `expiration`. */
  readonly expiration?: number;
  /** Send as part of this transaction: the message is published on commit, never on abort. */
  readonly transaction?: TransactionId;
}

/** Options for a point-to-point send. */
export interface SendOptions extends PublishOptions {
  /** Keep the message on disk on the broker. Default `true`. */
  readonly persistent?: boolean;
  /** AMQP: publish to this exchange instead of the default one. Capability `exchange`. */
  readonly exchange?: string;
}

/** Options for a broadcast (one-to-many) send. */
export type BroadcastOptions = PublishOptions;

/** Options shared by every kind of subscription. */
export interface SubscribeOptionsBase {
  /**
   * Manual acknowledgement: each message must be acked or nacked, and up to `prefetch` unacknowledged
   * messages are delivered at once. Default `false` (the broker forgets a message once delivered).
   */
  readonly acknowledgement?: boolean;
  /** Deliver the body as text, without parsing JSON. Default `false`. */
  readonly disableMangling?: boolean;
  /**
   * Deliver the body as the broker's bytes (a Node `Buffer`), neither decoded nor parsed, and implies
   * no mangling. Default `false`. For bodies that need not be UTF-8 text (e.g. a dead-letter queue that
   * must be moved byte for byte); a body sent as a string arrives as its UTF-8 bytes.
   */
  readonly rawBytes?: boolean;
  /** Most unacknowledged messages in flight to this subscription. Capability `prefetch`. */
  readonly prefetch?: number;
  /** Consumer priority: higher-priority consumers are served first. Capability `priority`. */
  readonly priority?: number;
  /** JMS selector evaluated on the broker, e.g. `JMSXDeliveryCount>5`. Capability `selectors`. */
  readonly selector?: string;
}

/** Options for a queue subscription. */
export interface SubscribeOptions extends SubscribeOptionsBase {
  /** Only one exclusive consumer of a queue receives while it lives. Capability `exclusive`. */
  readonly exclusive?: boolean;
}

/** Options for a broadcast subscription. */
export interface BroadcastSubscribeOptions extends SubscribeOptionsBase {
  /** Also receive recent messages sent before subscribing. Capability `retroactive`. */
  readonly retroactive?: boolean;
}

/** Options for {@link Transport.subscribeTemporary}. */
export type TemporarySubscribeOptions = SubscribeOptionsBase;

/** What {@link Transport.subscribeTemporary} returns. */
export interface TemporarySubscription {
  readonly subscriptionId: SubscriptionId;
  /** The generated queue name (`transient.<hint>.<uuid>`), to hand to whoever should reply. */
  readonly queue: string;
}

/** Options for {@link Transport.ack}. */
export interface AckOptions {
  readonly transaction?: TransactionId;
}

/** Options for {@link Transport.nack}. */
export interface NackOptions extends AckOptions {
  /**
   * `false` (default): reject the message for good, which dead-letters it (`DLQ.<queue>` on ActiveMQ and
   * in memory, the queue's dead-letter exchange on RabbitMQ). `true`: release it for redelivery, with
   * `redelivered` set and its delivery count raised. Capability `nackRequeue`.
   */
  readonly requeue?: boolean;
}

/** Options for {@link Transport.transactionBegin}. */
export interface TransactionOptions {
  /** The subscription whose messages this transaction acknowledges (AMQP binds both to one channel). */
  readonly subscription?: SubscriptionId;
}

/**
 * The features a transport offers beyond the basic send/subscribe/ack. Using a feature whose flag is
 * `false` throws {@link UnsupportedCapabilityError}: it never silently does nothing.
 */
export interface TransportCapabilities {
  /** `delay` on send and broadcast. */
  readonly delay: boolean;
  /** `expiration` on send and broadcast. */
  readonly expiration: boolean;
  /** transactionBegin/Commit/Abort and the `transaction` option. */
  readonly transactions: boolean;
  /** `selector` on subscriptions. */
  readonly selectors: boolean;
  /** Consumer `priority` on subscriptions. */
  readonly priority: boolean;
  /** `exclusive` queue subscriptions. */
  readonly exclusive: boolean;
  /** `retroactive` broadcast subscriptions. */
  readonly retroactive: boolean;
  /** `prefetch` on subscriptions. */
  readonly prefetch: boolean;
  /** `nack` with `requeue: true`. */
  readonly nackRequeue: boolean;
  /** The `exchange` send option (AMQP). */
  readonly exchange: boolean;
}

/** Integer service states of `services.md`, as sent in status broadcasts. */
export const ServiceState = {
  NONE: -1,
  TEARDOWN: -2,
  NEW: 0,
  STARTING: 1,
  IDLE: 2,
  TIMER: 3,
  PROCESSING: 4,
  SHUTDOWN: 5,
  END: 6,
  ERROR: 7,
} as const;
export type ServiceStateValue = (typeof ServiceState)[keyof typeof ServiceState];

/** A service status broadcast to `transient.status` (wire-format.md, "Status broadcasts"). */
export interface StatusMessage {
  /** Unique host id, see {@link uniqueHostId}. */
  readonly host: string;
  /** Version string of the library. */
  readonly workflows: string;
  /** Integer state, see {@link ServiceState}. */
  readonly status: number;
  readonly statustext?: string;
  readonly service?: string;
  readonly serviceclass?: string;
  /** State → fraction of time spent in it during the last period. */
  readonly utilization?: Readonly<Record<string, number>>;
  readonly [field: string]: unknown;
}

/** Connection state changes a transport reports to its listeners. */
export type TransportEvent =
  | { readonly type: 'connected' }
  | { readonly type: 'disconnected'; readonly error?: Error }
  | { readonly type: 'reconnecting'; readonly attempt: number; readonly error?: Error }
  | { readonly type: 'reconnected' };

/** The contract every Zocalo transport implements. */
export interface Transport {
  /** Registry name of the transport (`memory`, `stomp`, `amqp`, ...). */
  readonly name: string;
  readonly capabilities: TransportCapabilities;

  /** Connect to the broker. Rejects with a clear error when it is unreachable or refuses the login. */
  connect(): Promise<void>;
  /** Close all subscriptions and the connection. Unacknowledged messages go back to the broker. */
  disconnect(): Promise<void>;
  isConnected(): boolean;
  /** Listen to connection state changes; returns a function that removes the listener. */
  onEvent(listener: (event: TransportEvent) => void): () => void;

  /** Send a message (serialised as JSON) to a queue. Resolves once the broker has it. */
  send(queue: string, message: unknown, options?: SendOptions): Promise<void>;
  /**
   * Send a body as it is (text, written as UTF-8, or bytes) to a queue. Text holding a lone surrogate,
   * which UTF-8 cannot encode, is refused with `InvalidArgumentError`.
   */
  rawSend(queue: string, body: string | Buffer, options?: SendOptions): Promise<void>;
  /** Broadcast a message (serialised as JSON) to every current subscriber of a topic. */
  broadcast(topic: string, message: unknown, options?: BroadcastOptions): Promise<void>;
  /** Broadcast a body as it is (text or bytes), as {@link rawSend} sends it. */
  rawBroadcast(topic: string, body: string | Buffer, options?: BroadcastOptions): Promise<void>;

  /** Consume from a queue; competing consumers share its messages. */
  subscribe(queue: string, callback: MessageCallback, options?: SubscribeOptions): Promise<SubscriptionId>;
  /** Receive what is broadcast to a topic from now on. */
  subscribeBroadcast(
    topic: string,
    callback: MessageCallback,
    options?: BroadcastSubscribeOptions,
  ): Promise<SubscriptionId>;
  /** Consume from a new temporary queue that is deleted when the subscription ends. */
  subscribeTemporary(
    hint: string | undefined,
    callback: MessageCallback,
    options?: TemporarySubscribeOptions,
  ): Promise<TemporarySubscription>;
  /** End a subscription. Its unacknowledged messages are released for redelivery. */
  unsubscribe(subscription: SubscriptionId): Promise<void>;

  /** Acknowledge a message, given the header object it was received with. */
  ack(header: ReceivedHeaders, options?: AckOptions): Promise<void>;
  /** Reject a message: dead-letter it, or with `requeue: true` release it for redelivery. */
  nack(header: ReceivedHeaders, options?: NackOptions): Promise<void>;
  /**
   * Why a reject (`nack` without `requeue`) may not dead-letter this message, in words for a log line;
   * `undefined` when it is dead-lettered. ActiveMQ, for one, discards a non-persistent message unless
   * its dead-letter strategy says otherwise. Optional: without it every rejected message is taken to
   * be dead-lettered.
   */
  rejectCaveat?(header: ReceivedHeaders): string | undefined;

  transactionBegin(options?: TransactionOptions): Promise<TransactionId>;
  /** Make the transaction's sends and acknowledgements take effect, together. */
  transactionCommit(transaction: TransactionId): Promise<void>;
  /** Drop the transaction's sends and acknowledgements. */
  transactionAbort(transaction: TransactionId): Promise<void>;

  /** Broadcast a service status to `transient.status` with a 15 s expiry. */
  broadcastStatus(status: StatusMessage): Promise<void>;

  /** Add middleware around every operation; middleware added first runs outermost. */
  use(middleware: TransportMiddleware): void;
}

/** A message on its way out, as middleware sees it. */
export interface OutgoingMessage {
  readonly kind: 'queue' | 'topic';
  readonly destination: string;
  /** The message object, or the raw body for rawSend/rawBroadcast. */
  readonly message: unknown;
  readonly raw: boolean;
  readonly options: SendOptions;
}

/** A message on its way in, as middleware sees it. */
export interface IncomingMessage {
  readonly header: ReceivedHeaders;
  readonly message: MessageBody;
}

/** A subscription being made, as middleware sees it (the temporary queue's name already chosen). */
export type SubscribeCall =
  | {
      readonly kind: 'queue';
      readonly destination: string;
      readonly callback: MessageCallback;
      readonly options: SubscribeOptions;
    }
  | {
      readonly kind: 'topic';
      readonly destination: string;
      readonly callback: MessageCallback;
      readonly options: BroadcastSubscribeOptions;
    }
  | {
      readonly kind: 'temporary';
      readonly destination: string;
      readonly callback: MessageCallback;
      readonly options: TemporarySubscribeOptions;
    };

/** An unsubscribe, as middleware sees it. */
export interface UnsubscribeCall {
  readonly subscription: SubscriptionId;
}

/** An acknowledgement, as middleware sees it. */
export interface AckCall {
  readonly header: ReceivedHeaders;
  readonly options: AckOptions;
}

/** A rejection, as middleware sees it. */
export interface NackCall {
  readonly header: ReceivedHeaders;
  readonly options: NackOptions;
}

/** A transaction being begun, as middleware sees it. */
export interface TransactionBeginCall {
  readonly options: TransactionOptions;
}

/** A transaction being committed or aborted, as middleware sees it. */
export interface TransactionCall {
  readonly transaction: TransactionId;
}

/** What a middleware hook calls to continue: the next middleware, or the transport itself. */
export type MiddlewareNext<Call, Result = void> = (call: Call) => Promise<Result>;

/**
 * Middleware around every operation of a transport, as python-workflows' `BaseTransportMiddleware`:
 * logging, metrics, tracing headers. Each hook gets the call and `next`; it calls `next` (possibly
 * with a changed call) to continue, or throws (or rejects) to stop the operation with its error.
 * Middleware added first runs outermost. `send` covers send, rawSend, broadcast and rawBroadcast
 * (`kind` and `raw` tell them apart); `subscribe` covers all three kinds; `receive` runs around each
 * delivery's callback. A transport with no middleware for an operation runs it directly.
 */
export interface TransportMiddleware {
  readonly name?: string;
  send?(outgoing: OutgoingMessage, next: MiddlewareNext<OutgoingMessage>): Promise<void>;
  receive?(incoming: IncomingMessage, next: MiddlewareNext<IncomingMessage>): Promise<void>;
  subscribe?(
    call: SubscribeCall,
    next: MiddlewareNext<SubscribeCall, SubscriptionId>,
  ): Promise<SubscriptionId>;
  unsubscribe?(call: UnsubscribeCall, next: MiddlewareNext<UnsubscribeCall>): Promise<void>;
  ack?(call: AckCall, next: MiddlewareNext<AckCall>): Promise<void>;
  nack?(call: NackCall, next: MiddlewareNext<NackCall>): Promise<void>;
  transactionBegin?(
    call: TransactionBeginCall,
    next: MiddlewareNext<TransactionBeginCall, TransactionId>,
  ): Promise<TransactionId>;
  transactionCommit?(call: TransactionCall, next: MiddlewareNext<TransactionCall>): Promise<void>;
  transactionAbort?(call: TransactionCall, next: MiddlewareNext<TransactionCall>): Promise<void>;
}
