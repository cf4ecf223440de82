/**
 * An in-process message broker: queues with competing consumers, prefetch, consumer priority,
 * exclusive consumers, redelivery with a delivery count and a dead-letter queue, delayed and expiring
 * messages, topics with retroactive recovery. Transports made with the same broker see each other's
 * messages, like processes sharing a real broker.
 */
import { ConnectionError } from '../errors';
import type { HeaderValue, MessageHeaders } from '../transport';

/** Dead-letter queues are named as on ActiveMQ (`DLQ.<queue>`): the memory broker stands in for it. */
export const DEAD_LETTER_PREFIX = 'DLQ.';

/** A message as the broker stores it. */
export interface StoredMessage {
  readonly id: string;
  readonly destination: string;
  readonly body: string | Buffer;
  readonly headers: MessageHeaders | undefined;
  readonly persistent: boolean | undefined;
  readonly timestamp: number;
  /** Epoch ms after which the message is discarded; 0 for never. */
  readonly expires: number;
  /** How many times the message has been handed to a consumer. */
  deliveries: number;
}

/** A consumer as the broker sees it. The memory transport implements this. */
export interface BrokerConsumer {
  readonly priority: number;
  readonly exclusive: boolean;
  /** Whether the consumer can take one more message now (prefetch window, callback idle). */
  canAccept(): boolean;
  /** Hand over a message. */
  accept(message: StoredMessage, queue: MemoryQueue): void;
}

/**
 * A connected memory transport as the broker sees it, for the simulated link faults of
 * {@link MemoryBroker.dropConnections} and the others.
 */
export interface MemoryLink {
  /** The broker closed this connection: the transport reconnects or gives up. */
  dropped(error: ConnectionError): void;
  /** The link carries traffic again after {@link MemoryBroker.stallConnections}. */
  resumed(): void;
}

export interface MemoryBrokerOptions {
  /**
   * Redeliveries allowed before a released message is dead-lettered to `DLQ.<queue>`: a message is
   * delivered at most `deliveryLimit + 1` times. Default 5 (the delivery limit used at Diamond).
   */
  readonly deliveryLimit?: number;
  /** Broadcasts each topic keeps for retroactive subscribers. Default 100. */
  readonly retroactiveBuffer?: number;
}

/** What {@link MemoryBroker.stats} reports for a queue. */
export interface QueueStats {
  /** Messages waiting to be delivered (not counting delayed ones). */
  readonly depth: number;
  /** Messages delivered and awaiting acknowledgement. */
  readonly inFlight: number;
  readonly consumers: number;
  /** Delayed messages not yet due. */
  readonly scheduled: number;
}

/** One queue: a FIFO of messages (a head index, not Array.shift, keeps large queues O(1)). */
export class MemoryQueue {
  private items: StoredMessage[] = [];
  private head = 0;
  readonly consumers: BrokerConsumer[] = [];
  /** Delivered, not yet acknowledged, by message id. */
  readonly inFlight = new Map<string, StoredMessage>();
  scheduled = 0;
  private drainScheduled = false;
  private nextConsumer = 0;

  constructor(
    readonly name: string,
    private readonly broker: MemoryBroker,
    /** Temporary and broadcast queues are deleted with their last consumer. */
    readonly autoDelete: boolean,
  ) {}

  get depth(): number {
    return this.items.length - this.head;
  }

  enqueue(message: StoredMessage): void {
    this.items.push(message);
    this.scheduleDrain();
  }

  /** Put a released message back at the front, as brokers do. */
  requeue(message: StoredMessage): void {
    if (this.head > 0) this.items[--this.head] = message;
    else this.items.unshift(message);
    this.scheduleDrain();
  }

  /** Remove and return every waiting message (for purges and tests). */
  takeAll(): StoredMessage[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }

  addConsumer(consumer: BrokerConsumer): void {
    // Keep consumers ordered by priority, highest first; equal priorities in subscription order.
    let index = this.consumers.length;
    while (index > 0 && this.consumers[index - 1].priority < consumer.priority) index--;
    this.consumers.splice(index, 0, consumer);
    this.scheduleDrain();
  }

  removeConsumer(consumer: BrokerConsumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index >= 0) this.consumers.splice(index, 1);
    if (this.autoDelete && this.consumers.length === 0) this.broker.deleteQueue(this.name);
    else this.scheduleDrain();
  }

  scheduleDrain(): void {
    if (this.drainScheduled || this.consumers.length === 0) return;
    this.drainScheduled = true;
    // setImmediate, not a microtask: a pipeline that feeds itself must not starve timers and I/O.
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    const consumers = this.consumers;
    while (this.head < this.items.length && consumers.length > 0) {
      const consumer = this.pickConsumer();
      if (!consumer) return;
      const message = this.items[this.head];
      this.items[this.head++] = undefined as unknown as StoredMessage;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (message.expires !== 0 && message.expires <= Date.now()) continue;
      message.deliveries++;
      consumer.accept(message, this);
    }
    if (this.head === this.items.length && this.head > 0) {
      this.items.length = 0;
      this.head = 0;
    }
  };

  /**
   * The consumer for the next message: an exclusive consumer takes everything while it lives;
   * otherwise the highest-priority consumers with room, round robin among equals.
   */
  private pickConsumer(): BrokerConsumer | undefined {
    const consumers = this.consumers;
    const count = consumers.length;
    if (count === 1) return consumers[0].canAccept() ? consumers[0] : undefined;
    for (let i = 0; i < count; i++) {
      if (consumers[i].exclusive) return consumers[i].canAccept() ? consumers[i] : undefined;
    }
    let i = 0;
    while (i < count) {
      const priority = consumers[i].priority;
      let end = i;
      while (end < count && consumers[end].priority === priority) end++;
      const size = end - i;
      for (let k = 0; k < size; k++) {
        const candidate = consumers[i + ((this.nextConsumer + k) % size)];
        if (candidate.canAccept()) {
          this.nextConsumer = (this.nextConsumer + k + 1) % size;
          return candidate;
        }
      }
      i = end;
    }
    return undefined;
  }
}

const RETROACTIVE_DEFAULT = 100;

export class MemoryBroker {
  readonly deliveryLimit: number;
  private readonly retroactiveBuffer: number;
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly topics = new Map<string, Set<MemoryQueue>>();
  private readonly recent = new Map<string, StoredMessage[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sequence = 0;
  private readonly links = new Set<MemoryLink>();
  private stalled = false;
  private refusing = false;
  private refuseTimer: NodeJS.Timeout | undefined;
  private readonly instance = Math.random().toString(36).slice(2, 8);

  constructor(options: MemoryBrokerOptions = {}) {
    this.deliveryLimit = options.deliveryLimit ?? 5;
    this.retroactiveBuffer = options.retroactiveBuffer ?? RETROACTIVE_DEFAULT;
  }

  /** A new message id, unique within this broker. */
  messageId(): string {
    return `ID:memory-${this.instance}-${++this.sequence}`;
  }

  /** The queue of this name, created on first use (brokers create queues on demand). */
  queue(name: string, autoDelete = false): MemoryQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new MemoryQueue(name, this, autoDelete);
      this.queues.set(name, queue);
    }
    return queue;
  }

  deleteQueue(name: string): void {
    const queue = this.queues.get(name);
    if (!queue) return;
    this.queues.delete(name);
    for (const subscribers of this.topics.values()) subscribers.delete(queue);
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  stats(name: string): QueueStats {
    const queue = this.queues.get(name);
    if (!queue) return { depth: 0, inFlight: 0, consumers: 0, scheduled: 0 };
    return {
      depth: queue.depth,
      inFlight: queue.inFlight.size,
      consumers: queue.consumers.length,
      scheduled: queue.scheduled,
    };
  }

  /** Names of every queue that exists now. */
  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** Deliver to a queue, now or after `delay` seconds. */
  sendToQueue(name: string, message: StoredMessage, delay: number | undefined): void {
    if (delay === undefined) {
      this.queue(name).enqueue(message);
      return;
    }
    const queue = this.queue(name);
    queue.scheduled++;
    this.later(delay, () => {
      queue.scheduled--;
      // The queue may have been deleted meanwhile (temporary queue): deliver to the live one.
      this.queue(name).enqueue(message);
    });
  }

  /** Broadcast to every queue bound to the topic at delivery time. */
  sendToTopic(topic: string, message: StoredMessage, delay: number | undefined): void {
    if (delay !== undefined) {
      this.later(delay, () => this.sendToTopic(topic, message, undefined));
      return;
    }
    const recent = this.recent.get(topic) ?? [];
    recent.push(message);
    if (recent.length > this.retroactiveBuffer) recent.shift();
    this.recent.set(topic, recent);
    const subscribers = this.topics.get(topic);
    if (!subscribers) return;
    for (const queue of subscribers) queue.enqueue({ ...message, deliveries: 0 });
  }

  /** Bind a private queue to a topic; a retroactive one first gets the topic's recent messages. */
  bindTopic(topic: string, queue: MemoryQueue, retroactive: boolean): void {
    let subscribers = this.topics.get(topic);
    if (!subscribers) {
      subscribers = new Set();
      this.topics.set(topic, subscribers);
    }
    subscribers.add(queue);
    if (retroactive) {
      for (const message of this.recent.get(topic) ?? []) queue.enqueue({ ...message, deliveries: 0 });
    }
  }

  /**
   * A consumer released a message without acknowledging it: requeue it, or dead-letter it once it
   * has used up its redeliveries.
   */
  release(queue: MemoryQueue, message: StoredMessage): void {
    if (message.deliveries > this.deliveryLimit) this.deadLetter(queue, message, 'delivery_limit');
    else queue.requeue(message);
  }

  /** Move a message to `DLQ.<queue>`, recording where it came from and why. */
  deadLetter(queue: MemoryQueue, message: StoredMessage, reason: 'rejected' | 'delivery_limit'): void {
    const headers: Record<string, HeaderValue> = {
      ...message.headers,
      // As ActiveMQ writes it, so that the dead-letter tools read memory's DLQs as ActiveMQ's.
      'original-destination': `/queue/${message.destination}`,
      'dlq-reason': reason,
      'dlq-deliveries': message.deliveries,
    };
    const name = queue.name.startsWith(DEAD_LETTER_PREFIX)
      ? queue.name.slice(DEAD_LETTER_PREFIX.length)
      : queue.name;
    const dlq = `${DEAD_LETTER_PREFIX}${name}`;
    this.queue(dlq).enqueue({ ...message, destination: dlq, headers, deliveries: 0 });
  }

  private later(seconds: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, seconds * 1000);
    this.timers.add(timer);
  }

  // ------------------------------------------------------------ simulated link faults
  // What a TCP proxy between a transport and a real broker does to its connections, so that
  // reconnection is testable in one process (the conformance suite's connection-loss group).

  /** @internal a transport connects; refused while {@link refuseConnections} or a stall lasts */
  attachLink(link: MemoryLink): void {
    if (this.refusing) {
      throw new ConnectionError('memory broker: connection refused (simulated by refuseConnections)');
    }
    if (this.stalled) {
      throw new ConnectionError(
        'memory broker: no answer, the link is stalled (simulated by stallConnections)',
      );
    }
    this.links.add(link);
  }

  /** @internal a transport disconnects or has given its link up */
  detachLink(link: MemoryLink): void {
    this.links.delete(link);
  }

  /** Transports connected now. */
  connectionCount(): number {
    return this.links.size;
  }

  /** Whether the links are stalled ({@link stallConnections}). */
  isStalled(): boolean {
    return this.stalled;
  }

  /** Close every connection from the broker side, as a broker restart would: each transport reconnects. */
  dropConnections(): void {
    const links = [...this.links];
    this.links.clear();
    for (const link of links) {
      link.dropped(new ConnectionError('memory broker: the broker closed the connection (simulated)'));
    }
  }

  /**
   * Make every link silent, as a network that drops packets without a FIN: nothing is delivered,
   * sends and acks are held, and new connections get no answer. A transport notices only by its
   * heart-beat. {@link resumeConnections} ends it.
   */
  stallConnections(): void {
    this.stalled = true;
  }

  resumeConnections(): void {
    if (!this.stalled) return;
    this.stalled = false;
    for (const link of [...this.links]) link.resumed();
    for (const queue of this.queues.values()) queue.scheduleDrain();
  }

  /** Refuse new connections, for `ms` milliseconds or until {@link acceptConnections}. */
  refuseConnections(ms?: number): void {
    this.refusing = true;
    clearTimeout(this.refuseTimer);
    this.refuseTimer = ms === undefined ? undefined : setTimeout(() => this.acceptConnections(), ms);
  }

  acceptConnections(): void {
    this.refusing = false;
    clearTimeout(this.refuseTimer);
    this.refuseTimer = undefined;
  }

  /** Drop every queue, topic and pending delayed message, and end any simulated fault. */
  reset(): void {
    this.acceptConnections();
    this.stalled = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.queues.clear();
    this.topics.clear();
    this.recent.clear();
  }
}

let sharedBroker: MemoryBroker | undefined;

/** The process-wide broker that memory transports use unless given their own. */
export function defaultMemoryBroker(): MemoryBroker {
  sharedBroker ??= new MemoryBroker();
  return sharedBroker;
}
