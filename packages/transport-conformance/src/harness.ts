/** The per-test harness: opens transports, names queues, collects deliveries and cleans up. */
import { randomUUID } from 'node:crypto';
import type {
  MessageBody,
  MessageCallback,
  ReceivedHeaders,
  SubscriptionId,
  Transport,
  TransportCapabilities,
} from '@zocalo/workflows';
import type { ConnectionLossOptions } from './groups/connection-loss';
import type { ConformanceRunner, RunnerOptions } from './runner';
import { runnerFor } from './runner';

/** How a transport package runs the suite against itself. */
export interface ConformanceOptions extends RunnerOptions {
  /**
   * The test runner's `describe`, `it`, `beforeEach` and `afterEach`. Default: jest's (or vitest's)
   * globals; see {@link nodeTestRunner} for node:test.
   */
  readonly runner?: ConformanceRunner;
  /** Shown in the test names, e.g. `memory`, `stomp`, `amqp`. */
  readonly name: string;
  /**
   * A fresh, unconnected transport. Tests that model several processes call it several times; the
   * transports it returns must reach the same broker.
   */
  create(): Transport | Promise<Transport>;
  /**
   * The queue a message rejected with `nack` (no requeue) ends up on, to check nothing is lost;
   * e.g. `q => 'DLQ.' + q` (ActiveMQ, memory) or `q => 'dlq.' + q` (RabbitMQ).
   */
  deadLetterQueue?(queue: string): string;
  /** Delete a queue a test used (brokers keep durable queues); called after each test. */
  deleteQueue?(queue: string): Promise<void>;
  /** How long to wait for a message that should arrive, in ms. Default 5000. */
  readonly timeout?: number;
  /** The runner's limit for one test (and hook), in ms. Default 30000 (or four times `timeout`, if larger). */
  readonly testTimeout?: number;
  /** How long to watch for a message that must not arrive, in ms. Default 300. */
  readonly quietPeriod?: number;
  /**
   * Transports for brokers that redeliver released messages only after a pause may need more time to
   * settle before a redelivery is expected, in ms. Default 0.
   */
  readonly redeliveryPause?: number;
  /**
   * The most messages the transport holds for a subscription without acknowledgement that has no
   * `prefetch` of its own, before its callback takes them. Default 100.
   */
  readonly noAckPrefetch?: number;
  /**
   * How many messages of a subscription wait for its callback. Default: the transport's own
   * `pendingDeliveries` (every transport built on CommonTransport has it).
   */
  pendingDeliveries?(transport: Transport, subscription: SubscriptionId): number;
  /**
   * How to reach the broker through a fault injector, for the connection-loss group (run only when
   * given): `brokerAddress` and `createThrough`, or a `simulated` link.
   */
  readonly connectionLoss?: ConnectionLossOptions;
}

/** One message as a {@link Collector} saw it. */
export interface Delivery {
  readonly header: ReceivedHeaders;
  readonly message: MessageBody;
}

/** Subscribe callback that records deliveries and lets a test wait for them. */
export class Collector {
  readonly deliveries: Delivery[] = [];
  private waiters: Array<() => void> = [];

  constructor(
    private readonly timeout: number,
    private readonly onMessage?: MessageCallback,
  ) {}

  readonly callback: MessageCallback = (header, message) => {
    this.deliveries.push({ header, message });
    for (const waiter of this.waiters) waiter();
    return this.onMessage?.(header, message);
  };

  get messages(): MessageBody[] {
    return this.deliveries.map((delivery) => delivery.message);
  }

  /** Wait until at least `count` messages have arrived; rejects with what did arrive on time-out. */
  waitFor(count: number, timeout = this.timeout): Promise<Delivery[]> {
    if (this.deliveries.length >= count) return Promise.resolve(this.deliveries.slice(0, count));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        reject(
          new Error(
            `expected ${count} message(s) within ${timeout} ms, got ${this.deliveries.length}: ` +
              JSON.stringify(this.messages).slice(0, 500),
          ),
        );
      }, timeout);
      const check = (): void => {
        if (this.deliveries.length < count) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        resolve(this.deliveries.slice(0, count));
      };
      this.waiters.push(check);
    });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Everything one test needs; made fresh for each test by {@link useHarness}. */
export class Harness {
  private readonly open: Transport[] = [];
  private readonly queues = new Set<string>();
  readonly timeout: number;
  readonly quietPeriod: number;

  constructor(readonly options: ConformanceOptions) {
    this.timeout = options.timeout ?? 5000;
    this.quietPeriod = options.quietPeriod ?? 300;
  }

  /** A new connected transport (one per simulated process). */
  async connect(): Promise<Transport> {
    const transport = await this.options.create();
    this.open.push(transport);
    await transport.connect();
    return transport;
  }

  /** A fresh, unconnected transport, disconnected after the test if the test connects it. */
  async unconnected(): Promise<Transport> {
    const transport = await this.options.create();
    this.open.push(transport);
    return transport;
  }

  /** A queue or topic name no other test uses. */
  name(base: string): string {
    const name = `zocalo.conformance.${base}.${randomUUID().slice(0, 8)}`;
    this.queues.add(name);
    return name;
  }

  collector(onMessage?: MessageCallback): Collector {
    return new Collector(this.timeout, onMessage);
  }

  /** Let any message that should not arrive have its chance to. */
  quiet(ms = this.quietPeriod): Promise<void> {
    return sleep(ms);
  }

  /**
   * Put a message in a queue while nobody consumes: subscribe once (which declares the queue on
   * brokers that need it), unsubscribe, then send.
   */
  async declare(transport: Transport, queue: string): Promise<void> {
    const id = await transport.subscribe(queue, () => undefined, { acknowledgement: true });
    await transport.unsubscribe(id);
  }

  capabilities(transport: Transport): TransportCapabilities {
    return transport.capabilities;
  }

  async close(): Promise<void> {
    for (const transport of this.open.splice(0)) {
      try {
        await transport.disconnect();
      } catch {
        // A test may leave a transport broken on purpose; closing it is best effort.
      }
    }
    if (this.options.deleteQueue) {
      for (const queue of this.queues) {
        await this.options.deleteQueue(queue).catch(() => undefined);
        const dlq = this.options.deadLetterQueue?.(queue);
        if (dlq) await this.options.deleteQueue(dlq).catch(() => undefined);
      }
    }
    this.queues.clear();
  }
}

/** Register beforeEach/afterEach (of the options' runner) that give each test a fresh {@link Harness}. */
export function useHarness(options: ConformanceOptions): () => Harness {
  const { beforeEach, afterEach } = runnerFor(options);
  let current: Harness | undefined;
  beforeEach(() => {
    current = new Harness(options);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('the conformance harness is only available inside a test');
    return current;
  };
}
