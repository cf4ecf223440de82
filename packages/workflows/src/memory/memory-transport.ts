/**
 * The embedded transport: full broker semantics in one process, so that services, recipes and tests
 * run without a broker. The default transport.
 */
import type { CommonTransportOptions, Publication, SubscriptionRecord } from '../common-transport';
import { CommonTransport } from '../common-transport';
import { TransportConfigError } from '../errors';
import type {
  HeaderValue,
  ReceivedHeaders,
  TransactionId,
  TransactionOptions,
  TransportCapabilities,
} from '../transport';
import type { BrokerConsumer, MemoryQueue, StoredMessage, MemoryBroker } from './memory-broker';
import { defaultMemoryBroker } from './memory-broker';

export interface MemoryTransportOptions extends CommonTransportOptions {
  /**
   * The broker to connect to. Transports that share a broker see each other's messages.
   * Default: one broker shared by the whole process.
   */
  readonly broker?: MemoryBroker;
  /** Prefetch of subscriptions that do not set one. Default 1, as on the brokers. */
  readonly defaultPrefetch?: number;
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
    if (this.closed) return false;
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

  constructor(options: MemoryTransportOptions = {}) {
    super(options);
    this.broker = options.broker ?? defaultMemoryBroker();
    this.defaultPrefetch = options.defaultPrefetch ?? 1;
    if (!Number.isInteger(this.defaultPrefetch) || this.defaultPrefetch < 1) {
      throw new TransportConfigError(
        `memory transport: defaultPrefetch must be a whole number >= 1, got ${String(this.defaultPrefetch)}`,
      );
    }
  }

  protected async connectBroker(): Promise<void> {}

  protected async disconnectBroker(): Promise<void> {
    for (const record of this.subscriptions.values()) this.release(record);
    this.openTransactions.clear();
  }

  protected publish(publication: Publication): Promise<void> {
    if (publication.transaction !== undefined) {
      this.openTransactions.get(publication.transaction)!.publications.push(publication);
      return RESOLVED;
    }
    this.route(publication);
    return RESOLVED;
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
    const consumer = record.broker as MemoryConsumer;
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
    (record.broker as MemoryConsumer).queue.scheduleDrain();
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
    const consumer = record.broker as MemoryConsumer;
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
    const open = this.openTransactions.get(transaction)!;
    this.openTransactions.delete(transaction);
    for (const publication of open.publications) this.route(publication);
    for (const { record, header, action } of open.acks) this.settleNow(record, header, action);
  }

  protected async abortTransaction(transaction: TransactionId): Promise<void> {
    // Sends are dropped; acknowledged messages stay with their consumer, unacknowledged, as on ActiveMQ.
    this.openTransactions.delete(transaction);
  }
}
