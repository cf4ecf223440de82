/**
 * The embedded transport: full broker semantics in one process, so that services, recipes and tests
 * run without a broker. The default transport.
 */
import type { CommonTransportOptions, Publication, SubscriptionRecord } from '../common-transport';
import { CommonTransport } from '../common-transport';
import type { ReconnectOptions, ReconnectPolicy } from '../connection/reconnect-policy';
import { reconnectDelay, resolveReconnect } from '../connection/reconnect-policy';
import { MAX_WAITING_SENDS } from '../connection/waiting-sends';
import { ConnectionError, SendBacklogFullError, TransportConfigError } from '../errors';
import type {
  HeaderValue,
  ReceivedHeaders,
  TransactionId,
  TransactionOptions,
  TransportCapabilities,
} from '../transport';
import type { BrokerConsumer, MemoryBroker, MemoryLink, MemoryQueue, StoredMessage } from './memory-broker';
import { defaultMemoryBroker } from './memory-broker';

export interface MemoryTransportOptions extends CommonTransportOptions {
  /**
   * The broker to connect to. Transports that share a broker see each other's messages.
   * Default: one broker shared by the whole process.
   */
  readonly broker?: MemoryBroker;
  /** Prefetch of subscriptions that do not set one. Default 1, as on the brokers. */
  readonly defaultPrefetch?: number;
  /**
   * Heart-beat interval in seconds; 0 (the default) disables it. A link the broker leaves silent for
   * two intervals ({@link MemoryBroker.stallConnections}) is dropped and reconnected, within 2.5
   * intervals of the silence starting.
   */
  readonly heartbeat?: number;
  /**
   * Reconnect after the broker drops the link ({@link MemoryBroker.dropConnections}), or `false` to
   * report `disconnected` at once. Times in seconds. Default: 0.1 s doubling up to 10 s, 30 attempts.
   */
  readonly reconnect?: ReconnectOptions | false;
}

interface WaitingSend {
  readonly publication: Publication;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const CAPABILITIES: TransportCapabilities = Object.freeze({
  delay: true,
  expiration: true,
  transactions: true,
  // A JMS selector language is not worth embedding; say so rather than ignore the selector.
  selectors: false,
  priority: true,
  exclusive: true,
  retroactive: true,
  prefetch: true,
  nackRequeue: true,
  exchange: false,
});

const RESOLVED: Promise<void> = Promise.resolve();

interface PendingAck {
  readonly record: SubscriptionRecord;
  readonly header: ReceivedHeaders;
  readonly action: 'ack' | 'nack' | 'requeue';
}

interface OpenTransaction {
  readonly publications: Publication[];
  readonly acks: PendingAck[];
}

/** The memory broker's view of one subscription. */
class MemoryConsumer implements BrokerConsumer {
  /** Unacknowledged deliveries by message id. */
  readonly unacked = new Map<string, StoredMessage>();
  readonly priority: number;
  readonly exclusive: boolean;
  readonly prefetch: number;
  closed = false;

  constructor(
    private readonly transport: MemoryTransport,
    readonly record: SubscriptionRecord,
    readonly queue: MemoryQueue,
    defaultPrefetch: number,
  ) {
    this.priority = record.priority ?? 0;
    this.exclusive = record.exclusive;
    this.prefetch = record.prefetch ?? defaultPrefetch;
  }

  canAccept(): boolean {
    if (this.closed || this.transport.broker.isStalled()) return false;
    // With acknowledgement the prefetch window bounds what is in flight (a busy callback's next
    // messages wait in its backlog, as in a real client's prefetch buffer). Without, a message is
    // only taken when the callback is free, so it stays available to competing consumers.
    if (this.record.acknowledgement) return this.unacked.size < this.prefetch;
    return !this.record.busy;
  }

  accept(message: StoredMessage, queue: MemoryQueue): void {
    if (this.record.acknowledgement) {
      this.unacked.set(message.id, message);
      queue.inFlight.set(message.id, message);
    }
    this.transport.deliverMessage(this, message);
  }
}

export class MemoryTransport extends CommonTransport {
  readonly name = 'memory';
  readonly capabilities = CAPABILITIES;
  readonly broker: MemoryBroker;
  private readonly defaultPrefetch: number;
  private readonly openTransactions = new Map<TransactionId, OpenTransaction>();
  private readonly heartbeatMs: number;
  private readonly reconnect: ReconnectPolicy | false;
  /** Whether the broker holds this transport's link (false while reconnecting). */
  private linkUp = false;
  private readonly waiting: WaitingSend[] = [];
  /** Acks made while the link is stalled, settled when it resumes (dropped if it is lost). */
  private heldAcks: Array<() => void> = [];
  private attempt = 0;
  private lastError: Error | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private silentSince: number | undefined;
  private readonly link: MemoryLink = {
    dropped: (error) => this.linkLost(error),
    resumed: () => this.flush(),
  };

  constructor(options: MemoryTransportOptions = {}) {
    super(options);
    this.broker = options.broker ?? defaultMemoryBroker();
    this.defaultPrefetch = options.defaultPrefetch ?? 1;
    if (!Number.isInteger(this.defaultPrefetch) || this.defaultPrefetch < 1) {
      throw new TransportConfigError(
        `memory transport: defaultPrefetch must be a whole number >= 1, got ${String(this.defaultPrefetch)}`,
      );
    }
    const heartbeat = options.heartbeat ?? 0;
    if (typeof heartbeat !== 'number' || !Number.isFinite(heartbeat) || heartbeat < 0) {
      throw new TransportConfigError(
        `memory transport: heartbeat must be a number of seconds >= 0, got ${String(heartbeat)}`,
      );
    }
    this.heartbeatMs = heartbeat * 1000;
    this.reconnect = resolveReconnect(options.reconnect, 'memory');
  }

  protected async connectBroker(): Promise<void> {
    this.broker.attachLink(this.link);
    this.linkUp = true;
    this.attempt = 0;
    this.startHeartbeat();
  }

  protected async disconnectBroker(): Promise<void> {
    this.stopTimers();
    if (this.linkUp) {
      for (const record of this.subscriptions.values()) this.release(record);
      this.broker.detachLink(this.link);
      this.linkUp = false;
    }
    this.openTransactions.clear();
    this.heldAcks = [];
    this.rejectWaiting(
      new ConnectionError(
        'memory transport: disconnected before the send reached the broker; it was not sent',
      ),
    );
  }

  protected publish(publication: Publication): Promise<void> {
    if (publication.transaction !== undefined) {
      this.openTransactions.get(publication.transaction)!.publications.push(publication);
      return RESOLVED;
    }
    // Like bytes in a socket buffer: a send waits for a stalled or lost link, and resolves once routed.
    if (!this.linkUp || this.broker.isStalled()) return this.hold(publication);
    this.route(publication);
    return RESOLVED;
  }

  private hold(publication: Publication): Promise<void> {
    if (this.waiting.length >= MAX_WAITING_SENDS) {
      const bytes = this.waiting.reduce((sum, each) => sum + each.publication.body.length, 0);
      return Promise.reject(
        new SendBacklogFullError(
          'memory transport: the connection to the memory broker',
          this.waiting.length,
          bytes,
        ),
      );
    }
    return new Promise((resolve, reject) => this.waiting.push({ publication, resolve, reject }));
  }

  /** The link carries traffic again: route what waited, settle the acks held by a stall. */
  private flush(): void {
    if (!this.linkUp || this.broker.isStalled()) return;
    for (const send of this.waiting.splice(0)) {
      this.route(send.publication);
      send.resolve();
    }
    for (const settle of this.heldAcks.splice(0)) settle();
  }

  private rejectWaiting(error: Error): void {
    for (const send of this.waiting.splice(0)) send.reject(error);
  }

  private startHeartbeat(): void {
    if (this.heartbeatMs === 0) return;
    this.silentSince = undefined;
    this.heartbeatTimer = setInterval(() => {
      if (!this.broker.isStalled()) {
        this.silentSince = undefined;
        return;
      }
      const now = Date.now();
      this.silentSince ??= now;
      if (now - this.silentSince >= 2 * this.heartbeatMs) {
        this.broker.detachLink(this.link);
        this.linkLost(
          new ConnectionError(
            `memory transport: no heart-beat from the memory broker for ${now - this.silentSince} ms ` +
              `(heart-beat ${this.heartbeatMs} ms); dropping the silent link`,
          ),
        );
      }
    }, this.heartbeatMs / 2);
  }

  private stopTimers(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  /** The broker dropped the link, or the heart-beat found it silent: take it down and reconnect. */
  private linkLost(error: ConnectionError): void {
    if (!this.linkUp) return;
    this.linkUp = false;
    this.stopTimers();
    // The broker takes back every unacknowledged message; acks of those deliveries are dropped.
    this.heldAcks = [];
    this.openTransactions.clear();
    for (const record of this.subscriptions.values()) {
      this.release(record);
      record.broker = undefined;
      this.forgetDeliveries(record);
    }
    this.lastError = error;
    this.attempt = 0;
    if (this.reconnect === false) {
      this.giveUp(
        new ConnectionError(
          `memory transport: lost the connection to the memory broker (${error.message}) and reconnect is ` +
            'off; connect() again, or set the reconnect option',
          { cause: error },
        ),
      );
      return;
    }
    this.nextAttempt();
  }

  private nextAttempt(): void {
    const options = this.reconnect as Exclude<typeof this.reconnect, false>;
    const attempt = ++this.attempt;
    if (attempt > options.attempts) {
      this.giveUp(
        new ConnectionError(
          `memory transport: gave up reconnecting to the memory broker after ${options.attempts} attempts ` +
            `(${this.lastError?.message ?? 'no answer'}); the transport is disconnected: check the broker, ` +
            'then connect() and subscribe again (raise reconnect.attempts to wait longer)',
          { cause: this.lastError },
        ),
      );
      return;
    }
    this.emit({ type: 'reconnecting', attempt, error: this.lastError });
    const delay = reconnectDelay(attempt, options);
    this.reconnectTimer = setTimeout(() => this.tryReconnect(), delay);
  }

  private tryReconnect(): void {
    this.reconnectTimer = undefined;
    try {
      this.broker.attachLink(this.link);
    } catch (error) {
      this.lastError = error as Error;
      this.nextAttempt();
      return;
    }
    this.linkUp = true;
    this.attempt = 0;
    this.startHeartbeat();
    for (const record of this.subscriptions.values()) this.attachConsumer(record);
    this.flush();
    this.emit({ type: 'reconnected' });
  }

  /** Reconnection gave up (or is off): no timers, no waiting sends, then end as disconnected. */
  private giveUp(error: ConnectionError): void {
    this.stopTimers();
    this.rejectWaiting(error);
    this.heldAcks = [];
    this.connectionFailed(error);
  }

  private route(publication: Publication): void {
    const now = Date.now();
    const message: StoredMessage = {
      id: this.broker.messageId(),
      destination: publication.destination,
      // A broker keeps its own copy of the bytes: the sender may reuse its Buffer.
      body: typeof publication.body === 'string' ? publication.body : Buffer.from(publication.body),
      headers: publication.headers,
      persistent: publication.persistent,
      timestamp: Date.now(),
      expires:
        publication.expiration === undefined
          ? 0
          : now + (publication.delay ?? 0) * 1000 + publication.expiration * 1000,
      deliveries: 0,
    };
    if (publication.kind === 'queue')
      this.broker.sendToQueue(publication.destination, message, publication.delay);
    else this.broker.sendToTopic(publication.destination, message, publication.delay);
  }

  protected async openSubscription(record: SubscriptionRecord): Promise<void> {
    // While reconnecting, the consumer is opened with the others once the link is back.
    if (this.linkUp) this.attachConsumer(record);
  }

  private attachConsumer(record: SubscriptionRecord): void {
    let queue: MemoryQueue;
    if (record.kind === 'topic') {
      queue = this.broker.queue(
        `${record.destination}#${record.id}.${Math.random().toString(36).slice(2)}`,
        true,
      );
      this.broker.bindTopic(record.destination, queue, record.retroactive);
    } else {
      queue = this.broker.queue(record.destination, record.kind === 'temporary');
    }
    const consumer = new MemoryConsumer(this, record, queue, this.defaultPrefetch);
    record.broker = consumer;
    queue.addConsumer(consumer);
  }

  protected async closeSubscription(record: SubscriptionRecord): Promise<void> {
    this.release(record);
  }

  /** Stop a consumer and give its unacknowledged messages back to the queue. */
  private release(record: SubscriptionRecord): void {
    const consumer = record.broker as MemoryConsumer | undefined;
    if (!consumer || consumer.closed) return;
    consumer.closed = true;
    // Each goes back to the front of the queue: newest first, so that they keep their order.
    for (const message of [...consumer.unacked.values()].reverse()) {
      consumer.queue.inFlight.delete(message.id);
      this.broker.release(consumer.queue, message);
    }
    consumer.unacked.clear();
    consumer.queue.removeConsumer(consumer);
  }

  /** Called by the broker: build the header object and hand the message to the subscription. */
  deliverMessage(consumer: MemoryConsumer, message: StoredMessage): void {
    const record = consumer.record;
    const header: Record<string, HeaderValue> =
      message.headers === undefined ? {} : Object.assign({}, message.headers);
    header['message-id'] = message.id;
    header.subscription = record.id;
    header.destination = message.destination;
    header.redelivered = message.deliveries > 1;
    if (message.deliveries > 1) header['x-delivery-count'] = message.deliveries - 1;
    header.timestamp = message.timestamp;
    if (message.expires !== 0) header.expires = message.expires;
    if (message.persistent !== undefined) header.persistent = message.persistent;
    const body = message.body;
    // Each delivery gets bytes of its own (a broadcast shares one stored message between subscribers).
    this.deliver(
      record,
      header as unknown as ReceivedHeaders,
      record.rawBytes && typeof body !== 'string' ? Buffer.from(body) : body,
    );
  }

  protected override subscriptionReady(record: SubscriptionRecord): void {
    (record.broker as MemoryConsumer | undefined)?.queue.scheduleDrain();
  }

  protected ackMessage(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    transaction: TransactionId | undefined,
  ): Promise<void> {
    if (transaction !== undefined) {
      this.openTransactions.get(transaction)!.acks.push({ record, header, action: 'ack' });
    } else {
      this.settleNow(record, header, 'ack');
    }
    return RESOLVED;
  }

  protected nackMessage(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    requeue: boolean,
    transaction: TransactionId | undefined,
  ): Promise<void> {
    const action = requeue ? 'requeue' : 'nack';
    if (transaction !== undefined) {
      this.openTransactions.get(transaction)!.acks.push({ record, header, action });
    } else {
      this.settleNow(record, header, action);
    }
    return RESOLVED;
  }

  private settleNow(record: SubscriptionRecord, header: ReceivedHeaders, action: PendingAck['action']): void {
    if (this.broker.isStalled()) {
      this.heldAcks.push(() => this.settleNow(record, header, action));
      return;
    }
    const consumer = record.broker as MemoryConsumer | undefined;
    if (!consumer) return;
    const id = header['message-id'];
    const message = consumer.unacked.get(id);
    if (!message) return;
    consumer.unacked.delete(id);
    consumer.queue.inFlight.delete(id);
    if (action === 'nack') this.broker.deadLetter(consumer.queue, message, 'rejected');
    else if (action === 'requeue') this.broker.release(consumer.queue, message);
    consumer.queue.scheduleDrain();
  }

  protected async beginTransaction(transaction: TransactionId, _options: TransactionOptions): Promise<void> {
    this.openTransactions.set(transaction, { publications: [], acks: [] });
  }

  protected async commitTransaction(transaction: TransactionId): Promise<void> {
    const open = this.openTransactions.get(transaction);
    if (!open || !this.linkUp) {
      this.openTransactions.delete(transaction);
      throw new ConnectionError(
        'memory transport: the connection to the memory broker was lost while the transaction was open; ' +
          'nothing of it was committed: begin it again',
      );
    }
    this.openTransactions.delete(transaction);
    for (const publication of open.publications) this.route(publication);
    for (const { record, header, action } of open.acks) this.settleNow(record, header, action);
  }

  protected async abortTransaction(transaction: TransactionId): Promise<void> {
    // Sends are dropped; acknowledged messages stay with their consumer, unacknowledged, as on ActiveMQ.
    this.openTransactions.delete(transaction);
  }
}
