/**
 * A STOMP connection that stays up: it wraps the current {@link StompLink}, reconnects with
 * exponential backoff (over the whole host list) when the link drops, runs the owner's set-up (e.g.
 * SUBSCRIBE) on every new link, and retries unconfirmed sends on it. Frames that cannot be retried —
 * acknowledgements of deliveries from the old link, anything inside a transaction the broker rolled
 * back — fail with a `ConnectionError` instead.
 *
 * The transport keeps one channel for publishing and one per subscription: ActiveMQ can deadlock a
 * connection that publishes heavily while it consumes (wire-format.md, "Load").
 */
import type { Logger } from '@zocalo/workflows';
import { ConnectionError, SendBacklogFullError } from '@zocalo/workflows';
import type { LinkOptions, OutgoingFrame } from './stomp-link';
import { StompLink } from './stomp-link';
import type { ResolvedStompOptions } from './stomp-settings';

/** What the owner of a channel hears about it. */
export interface ChannelHooks {
  /** Set up a new link before frames flow on it (the first one included); throwing drops the link. */
  linkUp(link: StompLink): Promise<void>;
  /** The link dropped; a reconnection follows (unless the owner closes the channel). */
  linkLost(link: StompLink, error: Error): void;
  reconnecting(attempt: number, error: Error): void;
  reconnected(): void;
  /** Reconnection gave up: the channel is closed for good. */
  failed(error: Error): void;
}

/** A frame that survives the loss of its link until this time (ms since epoch), then fails. */
export interface RetryableFrame extends OutgoingFrame {
  readonly retryUntil?: number;
}

const JITTER = 0.2;

/**
 * Most bytes of send bodies that may wait for a reconnection on one connection (besides at most
 * `sendWindow` sends): beyond, sends are refused at once with {@link SendBacklogFullError}.
 */
export const MAX_WAITING_BYTES = 64 * 1024 * 1024;

function bodyLength(frame: RetryableFrame): number {
  const body = frame.body;
  return body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
}

/** Milliseconds to wait before reconnection attempt `attempt` (1-based): exponential, with jitter. */
export function backoffDelay(
  attempt: number,
  initialDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
  return Math.round(Math.min(maxDelayMs, base * (1 - JITTER + 2 * JITTER * random())));
}

export class StompChannel {
  private current: StompLink | undefined;
  /** Frames waiting for the next link, oldest first (bounded: see {@link wait}). */
  private waiting: RetryableFrame[] = [];
  private waitingBytes = 0;
  private closed = false;
  private reconnecting = false;
  private wake: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly linkOptions: LinkOptions;

  constructor(
    readonly role: string,
    private readonly options: ResolvedStompOptions,
    private readonly logger: Logger,
    private readonly hooks: ChannelHooks,
    /** The most ACK/NACK frames the broker may have unread (see {@link LinkOptions.ackWindow}). */
    ackWindow: number = options.ackWindow,
  ) {
    this.linkOptions = {
      username: options.username,
      password: options.password,
      heartbeatMs: options.heartbeatMs,
      connectTimeoutMs: options.connectTimeoutMs,
      stallTimeoutMs: options.stallTimeoutMs,
      ackWindow,
      sendWindow: options.sendWindow,
      logger,
      role,
    };
  }

  /** The current link while it is up. */
  get link(): StompLink | undefined {
    return this.current?.isOpen ? this.current : undefined;
  }

  /** Connect for the first time: each address once, no backoff. Rejects with a ConnectionError. */
  async open(): Promise<void> {
    const link = await StompLink.connectAny(this.options.addresses, this.linkOptions);
    try {
      await this.adopt(link);
    } catch (error) {
      await link.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Queue a frame on the current link. While the channel reconnects, frames with `retryUntil` wait
   * for the next link; others fail at once.
   */
  write(frame: RetryableFrame): void {
    if (this.closed) {
      frame.onFailed?.(new ConnectionError(`stomp transport: the ${this.role} connection is closed`));
      return;
    }
    const link = this.link;
    if (link && !this.reconnecting) {
      link.write(frame.retryUntil === undefined ? frame : this.retrying(frame));
    } else if (frame.retryUntil !== undefined) {
      this.wait(frame);
    } else {
      frame.onFailed?.(
        new ConnectionError(
          `stomp transport: the ${this.role} connection is down; the broker is being reconnected`,
        ),
      );
    }
  }

  /** Log out and close; frames still waiting fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.stopSweeper();
    this.failWaiting(new ConnectionError(`stomp transport: the ${this.role} connection was closed`));
    await this.current?.close();
  }

  /** A copy of the frame that, if its link drops, waits for the next one instead of failing. */
  private retrying(frame: RetryableFrame): RetryableFrame {
    return {
      ...frame,
      onFailed: (error: Error) => {
        if (
          !this.closed &&
          Date.now() < frame.retryUntil! &&
          this.options.reconnect !== false &&
          !this.isRefusal(error)
        ) {
          this.wait(frame);
        } else {
          frame.onFailed?.(error);
        }
      },
    };
  }

  /**
   * Keep a send for the next link, within bounds: at most `sendWindow` sends and
   * {@link MAX_WAITING_BYTES} of bodies wait (each until its `retryUntil`); more fail at once with a
   * {@link SendBacklogFullError}, so a caller that keeps sending while the broker is away cannot
   * exhaust memory.
   */
  private wait(frame: RetryableFrame): void {
    const bytes = bodyLength(frame);
    if (
      this.waiting.length >= this.options.sendWindow ||
      (this.waiting.length > 0 && this.waitingBytes + bytes > MAX_WAITING_BYTES)
    ) {
      frame.onFailed?.(
        new SendBacklogFullError(
          `stomp transport: the ${this.role} connection`,
          this.waiting.length,
          this.waitingBytes,
          ', or raise sendWindow to let more sends wait',
        ),
      );
      return;
    }
    this.waiting.push(frame);
    this.waitingBytes += bytes;
    this.startSweeper();
  }

  /** Take every waiting frame out of the list. */
  private takeWaiting(): RetryableFrame[] {
    const waiting = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    return waiting;
  }

  /** A refusal by the broker (BrokerError) is final; only a lost connection is worth a retry. */
  private isRefusal(error: Error): boolean {
    return error.name === 'BrokerError';
  }

  private async adopt(link: StompLink): Promise<void> {
    link.onLost = (error) => this.lost(link, error);
    this.current = link;
    await this.hooks.linkUp(link);
  }

  private lost(link: StompLink, error: Error): void {
    if (this.closed || link !== this.current) return;
    this.logger.warn(
      { role: this.role, err: error },
      `stomp transport: the ${this.role} connection to ${link.address.host}:${link.address.port} was lost; reconnecting`,
    );
    this.hooks.linkLost(link, error);
    void this.reconnect(error);
  }

  private async reconnect(error: Error): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    const policy = this.options.reconnect;
    let lastError = error;
    for (let attempt = 1; !this.closed; attempt++) {
      if (policy === false || attempt > policy.attempts) {
        this.giveUp(lastError, policy === false ? 0 : attempt - 1);
        return;
      }
      this.hooks.reconnecting(attempt, lastError);
      await this.sleep(backoffDelay(attempt, policy.initialDelayMs, policy.maxDelayMs));
      if (this.closed) break;
      let link: StompLink;
      try {
        link = await StompLink.connectAny(this.options.addresses, this.linkOptions);
      } catch (failure) {
        lastError = failure as Error;
        continue;
      }
      if (this.closed) {
        await link.close();
        break;
      }
      try {
        await this.adopt(link);
      } catch (failure) {
        lastError = failure as Error;
        link.destroy(lastError);
        continue;
      }
      if (!link.isOpen) continue;
      this.reconnecting = false;
      this.stopSweeper();
      for (const frame of this.takeWaiting()) this.write(frame);
      this.logger.info(
        { role: this.role, attempt },
        `stomp transport: the ${this.role} connection is back (${link.address.host}:${link.address.port})`,
      );
      this.hooks.reconnected();
      return;
    }
    this.reconnecting = false;
  }

  private giveUp(error: Error, attempts: number): void {
    this.closed = true;
    this.reconnecting = false;
    this.stopSweeper();
    const reason = new ConnectionError(
      `stomp transport: gave up reconnecting the ${this.role} connection after ${attempts} attempt(s): ${error.message}; ` +
        'the transport is disconnected: check the broker, then connect() and subscribe again ' +
        '(raise reconnect.attempts or reconnect.maxDelay to wait longer)',
      { cause: error },
    );
    this.failWaiting(reason);
    this.logger.error({ role: this.role }, reason.message);
    this.hooks.failed(reason);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** While frames wait for a link, fail those whose time is up. */
  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      const expired = this.waiting.filter((frame) => frame.retryUntil! <= now);
      if (expired.length === 0) return;
      this.waiting = this.waiting.filter((frame) => frame.retryUntil! > now);
      this.waitingBytes = 0;
      for (const frame of this.waiting) this.waitingBytes += bodyLength(frame);
      for (const frame of expired) {
        frame.onFailed?.(
          new ConnectionError(
            `stomp transport: the broker did not confirm a send within ${this.options.sendTimeoutMs / 1000} s ` +
              `(the ${this.role} connection is down and being reconnected); the message may not have arrived. ` +
              'Send it again once the transport reports reconnected, or raise sendTimeout to wait longer',
          ),
        );
      }
    }, 250);
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private failWaiting(error: Error): void {
    for (const frame of this.takeWaiting()) frame.onFailed?.(error);
  }
}
