/**
 * Queues and exchanges on the broker: probing whether they exist, and declaring what the transport
 * needs. A passive declare of something missing closes its channel (404), so every probe runs on a
 * short-lived channel of its own. Answers are cached for a while and shared between concurrent callers.
 */
import type { Channel, ChannelModel, Options } from 'amqplib';
import { BrokerError } from '@zocalo/workflows';

/** How long an answer about a queue or exchange is trusted before asking the broker again. */
const CACHE_MS = 30_000;

/** Dead-letter queues are `dlq.<queue>`, as python-zocalo's configure_rabbitmq names them. */
export const DEAD_LETTER_PREFIX = 'dlq.';

/** The dead-letter queue of a queue, as python-zocalo's configure_rabbitmq names it. */
export function deadLetterQueueName(queue: string): string {
  return `${DEAD_LETTER_PREFIX}${queue}`;
}

export function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 404;
}

function isPreconditionFailed(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 406;
}

interface CacheEntry {
  readonly at: number;
  readonly value: Promise<boolean>;
  /** Set once `value` resolved to true, so the hot path can skip the await. */
  exists?: boolean;
}

export class Topology {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly model: ChannelModel,
    private readonly queueType: 'quorum' | 'classic',
    /** `x-delivery-limit` of quorum service queues; 0 for none. */
    private readonly deliveryLimit = 0,
  ) {}

  /** Run `fn` on a fresh channel and close it afterwards (it may already be closed by an error). */
  async withChannel<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    try {
      return await fn(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private cached(key: string, probe: () => Promise<boolean>): Promise<boolean> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    const entry: CacheEntry = { at: Date.now(), value: probe() };
    this.cache.set(key, entry);
    entry.value.then(
      (exists) => {
        entry.exists = exists;
      },
      () => this.cache.delete(key),
    );
    return entry.value;
  }

  private remember(key: string): void {
    this.cache.set(key, { at: Date.now(), value: Promise.resolve(true), exists: true });
  }

  /** Forget what is known about a queue or exchange (after the broker said it is missing). */
  forget(kind: 'queue' | 'exchange', name: string): void {
    this.cache.delete(`${kind}:${name}`);
    if (kind === 'exchange') this.cache.delete(`fanout:${name}`);
  }

  /** True when a queue or exchange is known to exist without asking (for the hot path). */
  known(kind: 'queue' | 'exchange' | 'fanout', name: string): boolean {
    const hit = this.cache.get(`${kind}:${name}`);
    return hit?.exists === true && Date.now() - hit.at < CACHE_MS;
  }

  private probe(kind: 'queue' | 'exchange', name: string): Promise<boolean> {
    return this.withChannel(async (channel) => {
      try {
        if (kind === 'queue') await channel.checkQueue(name);
        else await channel.checkExchange(name);
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    });
  }

  queueExists(name: string): Promise<boolean> {
    return this.cached(`queue:${name}`, () => this.probe('queue', name));
  }

  exchangeExists(name: string): Promise<boolean> {
    return this.cached(`exchange:${name}`, () => this.probe('exchange', name));
  }

  /**
   * Make sure the fanout exchange of a topic exists. A missing one is declared durable, as
   * configure_rabbitmq declares broadcast exchanges, so that a broadcast without subscribers succeeds.
   */
  ensureFanout(topic: string): Promise<boolean> {
    return this.cached(`fanout:${topic}`, async () => {
      if (await this.probe('exchange', topic)) return true;
      await this.withChannel((channel) =>
        channel.assertExchange(topic, 'fanout', { durable: true, autoDelete: false }),
      );
      return true;
    });
  }

  /**
   * Declare a service queue the way configure_rabbitmq does (durable, dead-lettered to `dlq.<queue>`),
   * together with its dead-letter queue; with single-active-consumer for an exclusive subscriber (a
   * quorum queue ignores the `exclusive` flag of a consumer, so only the queue can enforce it). Returns false if the queue already existed, with whatever
   * arguments it has: it is used as it is.
   */
  async declareServiceQueue(queue: string, singleActiveConsumer = false): Promise<boolean> {
    if (await this.queueExists(queue)) return false;
    await this.declareQueue(deadLetterQueueName(queue), { durable: true, arguments: this.typeArguments() });
    const created = await this.declareQueue(queue, {
      durable: true,
      arguments: {
        ...this.typeArguments(),
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': deadLetterQueueName(queue),
        // Classic queues enforce `exclusive` themselves (and refuse it on a single-active-consumer queue).
        'x-single-active-consumer': singleActiveConsumer && this.queueType === 'quorum',
        // Classic queues have no delivery limit (RabbitMQ refuses the argument on them).
        ...(this.queueType === 'quorum' && this.deliveryLimit > 0
          ? { 'x-delivery-limit': this.deliveryLimit }
          : {}),
      },
    });
    this.remember(`queue:${queue}`);
    return created;
  }

  /** Make sure `dlq.<queue>` exists, for dead-lettering done by the transport itself. */
  async ensureDeadLetterQueue(queue: string): Promise<void> {
    const name = deadLetterQueueName(queue);
    if (await this.queueExists(name)) return;
    await this.declareQueue(name, { durable: true, arguments: this.typeArguments() });
    this.remember(`queue:${name}`);
  }

  /**
   * Declare a queue; true if this declaration made it. Someone declaring it meanwhile with other
   * arguments (406) is fine: the queue exists, and is used as it is.
   */
  async declareQueue(name: string, options: Options.AssertQueue): Promise<boolean> {
    try {
      await this.withChannel((channel) => channel.assertQueue(name, options));
      return true;
    } catch (error) {
      if (isPreconditionFailed(error)) return false;
      throw new BrokerError(
        `amqp transport: could not declare queue "${name}": ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  typeArguments(): Record<string, string> {
    return { 'x-queue-type': this.queueType };
  }
}
