/**
 * Sends that wait for a connection to come back: bounded in number and in bytes (more are refused at
 * once, never dropped silently), and each only until its deadline (`sendTimeout` from the moment it
 * was called), so a caller that keeps sending while the broker is away cannot exhaust memory or wait
 * for ever.
 */
import { ConnectionError, SendBacklogFullError } from '../errors';
import { PeriodicCheck } from './periodic-check';

/**
 * Header of a message a transport sends again on a new connection because the old one was lost before
 * the broker confirmed it: the first copy may have arrived, so a consumer can tell a possible duplicate
 * from a new message (the broker's own redeliveries say `redelivered`). Value `true`.
 */
export const RESENT_HEADER = 'zocalo-resent';

/** Most sends, and bytes of their bodies, that may wait for a reconnection on one connection. */
export const MAX_WAITING_SENDS = 10_000;
export const MAX_WAITING_BYTES = 64 * 1024 * 1024;

/** How often waiting sends are checked against their deadlines. */
const SWEEP_MS = 250;

export interface WaitingSendsOptions {
  /** What the sends wait for, e.g. `amqp transport: the connection to RabbitMQ`. */
  readonly what: string;
  readonly maxSends?: number;
  readonly maxBytes?: number;
  /** Appended to the {@link SendBacklogFullError} message, e.g. `, or raise sendWindow ...`. */
  readonly backlogHint?: string;
  /** `sendTimeout` in ms, for the message of a send that waited too long. */
  readonly sendTimeoutMs: number;
}

interface Waiter {
  readonly bytes: number;
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The error of a send that was not confirmed within `sendTimeout` (the link was down or silent). */
export function sendTimeoutError(what: string, sendTimeoutMs: number): ConnectionError {
  return new ConnectionError(
    `${what}: the broker did not confirm a send within ${sendTimeoutMs / 1000} s (the connection is down ` +
      "or silent and being reconnected); the message may not have arrived. Send it again once the transport reports 'reconnected', " +
      'or raise sendTimeout to wait longer',
  );
}

export class WaitingSends {
  private waiters: Waiter[] = [];
  private waitingBytes = 0;
  private readonly sweeper = new PeriodicCheck(SWEEP_MS, () => this.sweep());
  private readonly maxSends: number;
  private readonly maxBytes: number;

  constructor(private readonly options: WaitingSendsOptions) {
    this.maxSends = options.maxSends ?? MAX_WAITING_SENDS;
    this.maxBytes = options.maxBytes ?? MAX_WAITING_BYTES;
  }

  get size(): number {
    return this.waiters.length;
  }

  get bytes(): number {
    return this.waitingBytes;
  }

  /**
   * Wait for {@link release}: resolves then (in the order the sends came), rejects at `deadline`
   * (ms since the epoch) with a send-timeout error, on {@link fail} with its error, and at once with
   * a {@link SendBacklogFullError} when the bounds are reached.
   */
  wait(bytes: number, deadline: number): Promise<void> {
    const count = this.waiters.length;
    if (count >= this.maxSends || (count > 0 && this.waitingBytes + bytes > this.maxBytes)) {
      return Promise.reject(
        new SendBacklogFullError(this.options.what, count, this.waitingBytes, this.options.backlogHint),
      );
    }
    if (deadline <= Date.now()) {
      return Promise.reject(sendTimeoutError(this.options.what, this.options.sendTimeoutMs));
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ bytes, deadline, resolve, reject });
      this.waitingBytes += bytes;
      this.sweeper.start();
    });
  }

  /** The connection is back: every waiting send goes on, oldest first. */
  release(): void {
    for (const waiter of this.take()) waiter.resolve();
  }

  /** The connection is gone for good: every waiting send fails with `error`. */
  fail(error: Error): void {
    for (const waiter of this.take()) waiter.reject(error);
  }

  private take(): Waiter[] {
    const waiters = this.waiters;
    this.waiters = [];
    this.waitingBytes = 0;
    this.sweeper.stop();
    return waiters;
  }

  private sweep(): void {
    const now = Date.now();
    if (!this.waiters.some((waiter) => waiter.deadline <= now)) return;
    const expired: Waiter[] = [];
    const kept: Waiter[] = [];
    for (const waiter of this.waiters) (waiter.deadline <= now ? expired : kept).push(waiter);
    this.waiters = kept;
    this.waitingBytes = kept.reduce((sum, waiter) => sum + waiter.bytes, 0);
    if (kept.length === 0) this.sweeper.stop();
    for (const waiter of expired)
      waiter.reject(sendTimeoutError(this.options.what, this.options.sendTimeoutMs));
  }
}
