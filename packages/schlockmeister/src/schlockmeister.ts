/**
 * Schlockmeister for ActiveMQ: finds poison messages (delivered more than `limit` times, so most likely
 * killing the services that took them) and quarantines them in `DLQ.<queue>`, with their headers logged.
 *
 * It watches queues that are in use: those named in `queues` (always), and those it learns about from the
 * consumer advisories (`ActiveMQ.Advisory.Consumer.Queue.>`; the broker also announces the consumers that
 * already exist when the advisory subscription starts). On each it subscribes with the broker-side
 * selector `JMSXDeliveryCount><limit>`, acknowledgement on and mangling off, so it only ever receives
 * messages that have been delivered too often; each is logged and nacked, which on ActiveMQ dead-letters
 * it at once. A queue that is not pinned is dropped once it has had no service consumer (its own and other
 * Schlockmeisters' selector subscriptions do not count) and no catch for `idleTimeout` seconds. Several
 * Schlockmeisters on one broker are competing consumers of the same queue, so each poison message is
 * delivered to (and quarantined by) one of them only.
 */
import type { Logger, MessageBody, ReceivedHeaders, SubscriptionId, Transport } from '@zocalo/workflows';
import { getDefaultLogger } from '@zocalo/workflows';
import { advisoryQueue, CONSUMER_ADVISORY_TOPIC, isQuarantineSelector, parseAdvisory } from './advisory';
import { rawBody } from './dlq-file';
import { DEFAULT_IGNORE, matchesAny } from './patterns';

export interface SchlockmeisterOptions {
  /** A connected (or connectable) STOMP transport. Schlockmeister connects it if it is not. */
  readonly transport: Transport;
  /** Messages delivered more than this many times are poison. Default 5 (`JMSXDeliveryCount>5`). */
  readonly limit?: number;
  /** Queue name patterns (`*` wildcard) to ignore, in addition to {@link DEFAULT_IGNORE}. */
  readonly ignore?: readonly string[];
  /**
   * Only queues matching one of these patterns are watched (pinned and discovered alike), e.g. one
   * site's queues on a shared broker. Default: every queue not ignored.
   */
  readonly include?: readonly string[];
  /** Queues to watch from the start and never drop. */
  readonly queues?: readonly string[];
  /** Learn active queues from the consumer advisory topic. Default true. */
  readonly discover?: boolean;
  /** Seconds a discovered queue may go without service consumers or catches before it is dropped (15). */
  readonly idleTimeout?: number;
  /** Seconds between checks for idle queues. Default 5. */
  readonly scanInterval?: number;
  /** Subscribe as an exclusive consumer (one Schlockmeister per queue at a time). Default false. */
  readonly exclusive?: boolean;
  readonly logger?: Logger;
  /** Called after each quarantined message has been nacked. */
  readonly onQuarantine?: (caught: QuarantinedMessage) => void;
}

/** A poison message Schlockmeister caught and sent to the dead-letter queue. */
export interface QuarantinedMessage {
  readonly queue: string;
  readonly header: ReceivedHeaders;
  readonly body: string | Buffer;
}

interface Watched {
  readonly pinned: boolean;
  subscription: SubscriptionId | undefined;
  /** Service consumers the advisories announced and have not yet removed. */
  readonly consumers: Set<string>;
  /** Last advisory or catch; the idle time counts from here once `consumers` is empty. */
  lastActive: number;
}

function preview(body: string | Buffer, max = 500): string {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export class Schlockmeister {
  private readonly transport: Transport;
  private readonly limit: number;
  private readonly ignore: readonly string[];
  private readonly include: readonly string[] | undefined;
  private readonly discover: boolean;
  private readonly idleMs: number;
  private readonly scanMs: number;
  private readonly exclusive: boolean;
  private readonly logger: Logger;
  private readonly onQuarantine: ((caught: QuarantinedMessage) => void) | undefined;
  private readonly watched = new Map<string, Watched>();
  private readonly initial: readonly string[];
  private advisorySubscription: SubscriptionId | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private caught = 0;

  constructor(options: SchlockmeisterOptions) {
    this.transport = options.transport;
    this.limit = options.limit ?? 5;
    if (!Number.isInteger(this.limit) || this.limit < 1) {
      throw new RangeError(`Schlockmeister: limit must be a positive integer, not ${String(options.limit)}`);
    }
    this.ignore = [...DEFAULT_IGNORE, ...(options.ignore ?? [])];
    this.include = options.include;
    this.discover = options.discover ?? true;
    this.idleMs = (options.idleTimeout ?? 15) * 1000;
    this.scanMs = (options.scanInterval ?? 5) * 1000;
    this.exclusive = options.exclusive ?? false;
    // A given logger (the service runtime's) already names the service: no second `service` field.
    this.logger = options.logger ?? getDefaultLogger().child({ service: 'Schlockmeister' });
    this.onQuarantine = options.onQuarantine;
    this.initial = options.queues ?? [];
  }

  /** The selector used on every watched queue. */
  get selector(): string {
    return `JMSXDeliveryCount>${this.limit}`;
  }

  /** Number of messages quarantined so far. */
  get quarantined(): number {
    return this.caught;
  }

  /** Queues currently subscribed to. */
  watchedQueues(): string[] {
    return [...this.watched.keys()].sort();
  }

  /** True when Schlockmeister never watches this queue (ignore patterns, or not in `include`). */
  ignores(queue: string): boolean {
    return matchesAny(queue, this.ignore) || (this.include !== undefined && !matchesAny(queue, this.include));
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!this.transport.isConnected()) await this.transport.connect();
    this.running = true;
    for (const queue of this.initial) await this.watch(queue, { pinned: true });
    if (this.discover) {
      this.advisorySubscription = await this.transport.subscribeBroadcast(
        CONSUMER_ADVISORY_TOPIC,
        (header, message) => this.onAdvisory(header, message),
        { disableMangling: true },
      );
    }
    this.timer = setInterval(() => void this.dropIdle(), this.scanMs);
    this.timer.unref();
    this.logger.info(
      {
        limit: this.limit,
        ignore: this.ignore,
        include: this.include,
        queues: this.initial,
        discover: this.discover,
      },
      'Schlockmeister started',
    );
  }

  /** Unsubscribes from everything; the transport stays connected (its owner disconnects it). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.advisorySubscription !== undefined) {
      await this.transport.unsubscribe(this.advisorySubscription);
      this.advisorySubscription = undefined;
    }
    for (const queue of [...this.watched.keys()]) await this.unwatch(queue);
  }

  /**
   * Watch a queue (or mark it active again). Ignored queues are refused: resolves false. A pinned queue
   * is never dropped as idle.
   */
  async watch(queue: string, options: { pinned?: boolean } = {}): Promise<boolean> {
    return this.track(queue, options.pinned ?? false, undefined);
  }

  private async track(queue: string, pinned: boolean, consumer: string | undefined): Promise<boolean> {
    if (this.ignores(queue)) return false;
    const existing = this.watched.get(queue);
    if (existing) {
      existing.lastActive = Date.now();
      if (consumer !== undefined) existing.consumers.add(consumer);
      return true;
    }
    const entry: Watched = {
      pinned,
      subscription: undefined,
      consumers: new Set(consumer === undefined ? [] : [consumer]),
      lastActive: Date.now(),
    };
    this.watched.set(queue, entry);
    try {
      entry.subscription = await this.transport.subscribe(
        queue,
        (header, message) => this.onPoison(queue, header, message),
        { acknowledgement: true, disableMangling: true, selector: this.selector, exclusive: this.exclusive },
      );
    } catch (error) {
      this.watched.delete(queue);
      this.logger.error({ err: error, queue }, 'Schlockmeister: cannot subscribe to queue');
      return false;
    }
    this.logger.info({ queue, selector: this.selector }, 'Schlockmeister: watching queue');
    return true;
  }

  /** Stop watching a queue. */
  async unwatch(queue: string): Promise<void> {
    const entry = this.watched.get(queue);
    if (!entry) return;
    this.watched.delete(queue);
    if (entry.subscription !== undefined) await this.transport.unsubscribe(entry.subscription);
    this.logger.info({ queue }, 'Schlockmeister: no longer watching queue');
  }

  private onAdvisory(header: ReceivedHeaders, message: MessageBody): void {
    const queue = advisoryQueue(header.destination);
    if (queue === undefined || !this.running) return;
    const event = parseAdvisory(message);
    if (event.kind === 'consumer-added') {
      // Schlockmeisters' own subscriptions announce themselves too: they do not make a queue active.
      if (!isQuarantineSelector(event.selector)) void this.track(queue, false, event.consumer);
    } else if (event.kind === 'consumer-removed') {
      const entry = this.watched.get(queue);
      if (entry?.consumers.delete(event.consumer)) entry.lastActive = Date.now();
    } else {
      void this.track(queue, false, undefined);
    }
  }

  private async dropIdle(): Promise<void> {
    const now = Date.now();
    for (const [queue, entry] of this.watched) {
      if (!entry.pinned && entry.consumers.size === 0 && now - entry.lastActive > this.idleMs) {
        await this.unwatch(queue).catch((error: unknown) =>
          this.logger.warn({ err: error, queue }, 'Schlockmeister: unsubscribe failed'),
        );
      }
    }
  }

  private async onPoison(queue: string, header: ReceivedHeaders, message: MessageBody): Promise<void> {
    const entry = this.watched.get(queue);
    if (entry) entry.lastActive = Date.now();
    const body = rawBody(message);
    const headers: Record<string, unknown> = { ...header };
    this.logger.warn(
      {
        queue,
        deadLetterQueue: `DLQ.${queue}`,
        messageId: header['message-id'],
        deliveryCount: `>${this.limit}`,
        headers,
        bodyLength: typeof body === 'string' ? Buffer.byteLength(body) : body.length,
        body: preview(body),
      },
      `Schlockmeister: message ${header['message-id']} on ${queue} was delivered more than ${this.limit} times; quarantining it`,
    );
    await this.transport.nack(header);
    this.caught += 1;
    this.onQuarantine?.({ queue, header, body });
  }
}
