/**
 * Publishing with publisher confirms and `mandatory`: each publish resolves when the broker confirms
 * it, and rejects when the broker returns it as unroutable (no such queue), nacks it, or the channel
 * closes before the confirm (so the caller can publish it again on a new channel: never a silent loss).
 * Honours the channel's write buffer: when it is full, later publishes wait for `drain`, in order.
 */
import type { ConfirmChannel, Message, Options } from 'amqplib';
import type { Logger } from '@zocalo/workflows';
import {
  BrokerError,
  DestinationNotFoundError,
  PeriodicCheck,
  sendTimeoutError,
  ZocaloError,
} from '@zocalo/workflows';

/** How often unconfirmed publishes are checked against their deadlines. */
const SWEEP_MS = 250;

/** The stable `code` of every error class of this package (see `ZOCALO_ERROR_CODES`). */
export const AMQP_ERROR_CODES = Object.freeze({
  ChannelLostError: 'ZOCALO_AMQP_CHANNEL_LOST',
} as const);

/**
 * The channel closed before the broker confirmed the message: it may or may not have arrived. The
 * transport publishes it again on a new channel (it reaches a caller only after the last attempt).
 */
export class ChannelLostError extends ZocaloError {
  static override readonly code: string = AMQP_ERROR_CODES.ChannelLostError;

  constructor(readonly reason: string) {
    super(`the channel closed before the broker confirmed the message (${reason})`);
  }
}

interface InFlight {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
  readonly token: unknown;
  /** Rejected as timed out at this time (ms since the epoch), confirmed or not. */
  readonly deadline: number | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  returned: boolean;
  /** Timed out: a confirm or loss that comes later is ignored. */
  abandoned: boolean;
}

/**
 * What to do with a publish whose channel was lost: given the token the publish was made with, it
 * publishes again (or says why it cannot); the publish's promise follows the one it returns.
 */
export type LostPublishHandler = (token: unknown, error: ChannelLostError) => Promise<void>;

export class ConfirmPublisher {
  private readonly inFlight = new Set<InFlight>();
  /** Publishes waiting for the write buffer to drain; undefined while it has room. */
  private queued: InFlight[] | undefined;
  private idleWaiters: Array<() => void> = [];
  private closeReason = 'closed';
  private readonly sweeper = new PeriodicCheck(SWEEP_MS, () => this.sweep());
  closed = false;

  constructor(
    readonly channel: ConfirmChannel,
    private readonly transportName: string,
    private readonly logger: Logger,
    private readonly onLost?: LostPublishHandler,
    /** The transport's `sendTimeout`, in ms, named in the error of a publish past its deadline. */
    private readonly sendTimeoutMs = 60_000,
  ) {
    channel.on('return', (message: Message) => this.onReturn(message));
    channel.on('drain', () => this.onDrain());
    channel.on('error', (error: Error) => {
      this.closeReason = error.message;
    });
    channel.on('close', () => {
      this.closed = true;
      this.sweeper.stop();
      this.onDrain();
      this.checkIdle();
    });
  }

  /**
   * Publish one message; see the file comment for how the promise settles. With a `token`, a publish
   * whose channel is lost goes to the {@link LostPublishHandler} instead of rejecting. With a
   * `deadline`, a publish the broker has not confirmed by then (a silent link, a connection blocked
   * by a resource alarm) rejects with a send-timeout error: it may still arrive.
   */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    token?: unknown,
    deadline?: number,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry: InFlight = {
        exchange,
        routingKey,
        content,
        options,
        token,
        deadline,
        resolve,
        reject,
        returned: false,
        abandoned: false,
      };
      if (deadline !== undefined && !this.closed) this.sweeper.start();
      if (this.queued) this.queued.push(entry);
      else this.write(entry);
    });
  }

  /** Messages published and not yet confirmed. */
  get pending(): number {
    return this.inFlight.size + (this.queued?.length ?? 0);
  }

  /** Resolves once every message published so far is confirmed (or the channel closed). */
  settled(): Promise<void> {
    if (this.pending === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.channel.close().catch(() => undefined);
  }

  private write(entry: InFlight): void {
    if (this.closed) {
      this.lost(entry, this.closeReason);
      return;
    }
    this.inFlight.add(entry);
    let room: boolean;
    try {
      room = this.channel.publish(
        entry.exchange,
        entry.routingKey,
        entry.content,
        entry.options,
        (error: Error | null) => this.confirmed(entry, error),
      );
    } catch (error) {
      // amqplib throws synchronously when the channel is already closed.
      this.inFlight.delete(entry);
      this.lost(entry, (error as Error).message);
      return;
    }
    if (!room) this.queued ??= [];
  }

  private confirmed(entry: InFlight, error: Error | null | undefined): void {
    this.inFlight.delete(entry);
    if (entry.abandoned) {
      if (this.inFlight.size === 0) this.checkIdle();
      return;
    }
    if (entry.returned) entry.reject(new DestinationNotFoundError(entry.routingKey, this.transportName));
    else if (error === null || error === undefined) entry.resolve();
    else if (/channel closed/i.test(error.message)) this.lost(entry, this.closeReason);
    else {
      entry.reject(
        new BrokerError(`${this.transportName} transport: the broker refused the message (${error.message})`),
      );
    }
    if (this.inFlight.size === 0) this.checkIdle();
  }

  private lost(entry: InFlight, reason: string): void {
    if (entry.abandoned) return;
    const error = new ChannelLostError(reason);
    if (entry.token !== undefined && this.onLost)
      this.onLost(entry.token, error).then(entry.resolve, entry.reject);
    else entry.reject(error);
  }

  private onDrain(): void {
    const queued = this.queued;
    if (!queued) return;
    this.queued = undefined;
    let index = 0;
    while (index < queued.length && this.queued === undefined) this.write(queued[index++]);
    if (index < queued.length) {
      // The buffer filled up again: the rest waits for the next drain, still in order.
      const rest = queued.slice(index);
      this.queued = this.queued ? rest.concat(this.queued) : rest;
    }
  }

  /**
   * A returned message arrives before the confirm of the same publish. Returns come in publish order,
   * so the oldest unconfirmed, unreturned publish with the same exchange, routing key and body is it.
   */
  private onReturn(message: Message): void {
    const { exchange, routingKey } = message.fields;
    for (const entry of this.inFlight) {
      if (
        !entry.returned &&
        entry.exchange === exchange &&
        entry.routingKey === routingKey &&
        entry.content.equals(message.content)
      ) {
        entry.returned = true;
        return;
      }
    }
    this.logger.warn(
      { exchange, routingKey },
      'amqp transport: returned message matches no publish in flight',
    );
  }

  /** Reject the publishes whose deadline has passed, in flight or waiting for the buffer to drain. */
  private sweep(): void {
    if (this.pending === 0) {
      this.sweeper.stop();
      return;
    }
    const now = Date.now();
    const expired = (entry: InFlight): boolean => entry.deadline !== undefined && entry.deadline <= now;
    const timedOut: InFlight[] = [];
    for (const entry of this.inFlight) {
      if (expired(entry)) {
        this.inFlight.delete(entry);
        timedOut.push(entry);
      }
    }
    if (this.queued?.some(expired)) {
      timedOut.push(...this.queued.filter(expired));
      this.queued = this.queued.filter((entry) => !expired(entry));
    }
    for (const entry of timedOut) {
      entry.abandoned = true;
      entry.reject(
        sendTimeoutError(`${this.transportName} transport: the publishing connection`, this.sendTimeoutMs),
      );
    }
    if (timedOut.length > 0) this.checkIdle();
  }

  private checkIdle(): void {
    if (this.pending !== 0 && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
