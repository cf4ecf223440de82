/**
 * Schlockmeister for ActiveMQ: finds poison messages (delivered more than `limit` times, so most likely
 * killing the services that took them) and quarantines them in `DLQ.<queue>`, with their headers logged.
 *
 * It watches queues that are in use: those named in `queues` (always), and those it learns about from the
 * consumer advisories (`ActiveMQ.Advisory.Consumer.Queue.>`). On each it subscribes with the broker-side
 * selector `JMSXDeliveryCount><limit>`, acknowledgement on and mangling off, so it only ever receives
 * messages that have been delivered too often; each is logged and nacked, which on ActiveMQ dead-letters
 * it at once. A queue that is neither pinned nor active (no advisory, no catch) for `idleTimeout` seconds
 * is dropped. Several Schlockmeisters on one broker are competing consumers of the same queue, so each
 * poison message is delivered to (and quarantined by) one of them only.
 */
import type { Logger, MessageBody, ReceivedHeaders, SubscriptionId, Transport } from '@zocalo/workflows';
import { getDefaultLogger } from '@zocalo/workflows';
import { advisoryQueue, CONSUMER_ADVISORY_TOPIC } from './advisory';
import { DEFAULT_IGNORE, matchesAny } from './patterns';

export interface SchlockmeisterOptions {
  /** A connected (or connectable) STOMP transport. Schlockmeister connects it if it is not. */
  readonly transport: Transport;
  /** Messages delivered more than this many times are poison. Default 5 (`JMSXDeliveryCount>5`). */
  readonly limit?: number;
  /** Queue name patterns (`*` wildcard) to ignore, in addition to {@link DEFAULT_IGNORE}. */
  readonly ignore?: readonly string[];
  /** Queues to watch from the start and never drop. */
  readonly queues?: readonly string[];
  /** Learn active queues from the consumer advisory topic. Default true. */
  readonly discover?: boolean;
  /** Seconds without activity after which a discovered queue is dropped. Default 15. */
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
  lastActive: number;
}

function bodyOf(message: MessageBody): string | Buffer {
  if (typeof message === 'string' || Buffer.isBuffer(message)) return message;
  return JSON.stringify(message) ?? '';
}

function preview(body: string | Buffer, max = 500): string {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export class Schlockmeister {
  private readonly transport: Transport;
  private readonly limit: number;
  private readonly ignore: readonly string[];
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
    this.discover = options.discover ?? true;
    this.idleMs = (options.idleTimeout ?? 15) * 1000;
    this.scanMs = (options.scanInterval ?? 5) * 1000;
    this.exclusive = options.exclusive ?? false;
    this.logger = (options.logger ?? getDefaultLogger()).child({ service: 'Schlockmeister' });
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

  /** True when Schlockmeister never watches this queue (default and configured ignore patterns). */
  ignores(queue: string): boolean {
    return matchesAny(queue, this.ignore);
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!this.transport.isConnected()) await this.transport.connect();
    this.running = true;
    for (const queue of this.initial) await this.watch(queue, { pinned: true });
    if (this.discover) {
      this.advisorySubscription = await this.transport.subscribeBroadcast(
        CONSUMER_ADVISORY_TOPIC,
        (header) => this.onAdvisory(header),
        { disableMangling: true },
      );
    }
    this.timer = setInterval(() => void this.dropIdle(), this.scanMs);
    this.timer.unref();
    this.logger.info(
      { limit: this.limit, ignore: this.ignore, queues: this.initial, discover: this.discover },
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
    if (this.ignores(queue)) return false;
    const existing = this.watched.get(queue);
    if (existing) {
      existing.lastActive = Date.now();
      return true;
    }
    const entry: Watched = {
      pinned: options.pinned ?? false,
      subscription: undefined,
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

  private onAdvisory(header: ReceivedHeaders): void {
    const queue = advisoryQueue(header.destination);
    if (queue === undefined || !this.running) return;
    void this.watch(queue);
  }

  private async dropIdle(): Promise<void> {
    const now = Date.now();
    for (const [queue, entry] of this.watched) {
      if (!entry.pinned && now - entry.lastActive > this.idleMs) {
        await this.unwatch(queue).catch((error: unknown) =>
          this.logger.warn({ err: error, queue }, 'Schlockmeister: unsubscribe failed'),
        );
      }
    }
  }

  private async onPoison(queue: string, header: ReceivedHeaders, message: MessageBody): Promise<void> {
    const entry = this.watched.get(queue);
    if (entry) entry.lastActive = Date.now();
    const body = bodyOf(message);
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
