/**
 * A connection that stays up: the one owner of connection resilience for every transport.
 *
 * A transport supplies the session hooks (open a session, close it, say what an error means, restore
 * its state on a new session); this class does the rest, the same way on every broker: reconnection
 * with back-off (reconnect-policy.ts), at most one attempt loop at a time, sends waiting for the next
 * session within bounds (waiting-sends.ts), the `reconnecting`/`reconnected` events (through
 * reconnect-events.ts, one stream per transport), and giving up after the configured attempts with
 * one clear error, every timer cleared.
 *
 * A "session" is whatever the transport reconnects as a whole: AMQP's pair of connections, one STOMP
 * connection.
 */
import { ConnectionError, DisconnectedError } from '../errors';
import type { Logger } from '../logger';
import type { ReconnectEvents } from './reconnect-events';
import type { ReconnectPolicy } from './reconnect-policy';
import { reconnectDelay } from './reconnect-policy';
import { WaitingSends } from './waiting-sends';

/**
 * What an error means for a connection, as the transport reads its broker's errors (kombu's
 * `connection_errors`/`channel_errors`):
 * - `connection`: the link is lost or unreachable; worth another attempt;
 * - `channel`: one channel or operation failed, the connection is fine (not a reason to reconnect);
 * - `login`: the broker refused the credentials or the vhost; attempts cannot help;
 * - `exclusive`: another consumer holds the queue exclusively; stand by;
 * - `fatal`: anything else that retrying cannot fix.
 */
export type ConnectionErrorKind = 'connection' | 'channel' | 'login' | 'exclusive' | 'fatal';

export interface SessionHooks<S> {
  /** Open a session. Rejects with what went wrong (classified by {@link classify}). */
  open(): Promise<S>;
  /** Close a session, quietly: it may be half-open or lost already. */
  close(session: S): Promise<void>;
  /** What an error means (see {@link ConnectionErrorKind}). */
  classify(error: unknown): ConnectionErrorKind;
  /**
   * Bring a new session (after a reconnection) to the state the old one had, e.g. subscribe again.
   * Throwing fails the attempt: the session is closed and the next attempt follows.
   */
  restore?(session: S): Promise<void>;
}

export interface ReconnectingConnectionOptions {
  /** The transport's name, e.g. `amqp`. */
  readonly transport: string;
  /** The connection in messages, e.g. `the connection to RabbitMQ`, `the publisher connection`. */
  readonly role: string;
  readonly policy: ReconnectPolicy | false;
  readonly logger: Logger;
  /** Where `reconnecting`/`reconnected` go. */
  readonly events: ReconnectEvents;
  /** Sends may wait for a reconnection this long (ms), counted from when they were made. */
  readonly sendTimeoutMs: number;
  /** Bounds of the sends that wait (defaults in waiting-sends.ts). */
  readonly maxWaitingSends?: number;
  readonly maxWaitingBytes?: number;
  readonly backlogHint?: string;
  /** Reconnection gave up (or is off): the connection is closed for good. Called once. */
  readonly onGiveUp: (error: ConnectionError) => void;
}

type State = 'new' | 'open' | 'reconnecting' | 'closed';

export class ReconnectingConnection<S> {
  private state: State = 'new';
  private current: S | undefined;
  private loop: Promise<S> | undefined;
  private readonly waiting: WaitingSends;
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hooks: SessionHooks<S>,
    private readonly options: ReconnectingConnectionOptions,
  ) {
    this.waiting = new WaitingSends({
      what: `${options.transport} transport: ${options.role}`,
      maxSends: options.maxWaitingSends,
      maxBytes: options.maxWaitingBytes,
      backlogHint: options.backlogHint,
      sendTimeoutMs: options.sendTimeoutMs,
    });
  }

  /** The current session while it is up. */
  get session(): S | undefined {
    return this.state === 'open' ? this.current : undefined;
  }

  get reconnecting(): boolean {
    return this.state === 'reconnecting';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Connect for the first time, without retrying: the caller hears at once what is wrong. */
  async open(): Promise<S> {
    this.state = 'new';
    const session = await this.hooks.open();
    if (this.state !== 'new') {
      await this.hooks.close(session);
      throw new DisconnectedError('connect', this.options.transport);
    }
    this.current = session;
    this.state = 'open';
    return session;
  }

  /**
   * The transport noticed that `session` dropped. Anything but the current session is ignored, so
   * several reports of one loss (each channel, each socket) start one reconnection.
   */
  lost(session: S, error?: Error): void {
    if (this.state !== 'open' || session !== this.current) return;
    this.current = undefined;
    void this.hooks.close(session);
    const policy = this.options.policy;
    if (policy === false) {
      this.options.logger.warn(
        { err: error },
        `${this.options.transport} transport: ${this.options.role} was lost and reconnect is off`,
      );
      this.giveUp(
        new ConnectionError(
          `${this.options.transport} transport: lost ${this.options.role}${error ? ` (${error.message})` : ''} and ` +
            'reconnect is off; connect() again, or set the reconnect option to ride out broker restarts',
          { cause: error },
        ),
      );
      return;
    }
    this.options.logger.warn(
      { err: error },
      `${this.options.transport} transport: ${this.options.role} was lost; reconnecting`,
    );
    this.state = 'reconnecting';
    this.loop = this.reconnect(error, policy);
    this.loop.catch(() => undefined);
  }

  /** The session, waiting for a reconnection in progress; rejects when there is none to wait for. */
  ready(operation = 'reach the broker'): Promise<S> {
    if (this.state === 'open' && this.current !== undefined) return Promise.resolve(this.current);
    if (this.state === 'reconnecting' && this.loop) return this.loop;
    return Promise.reject(new DisconnectedError(operation, this.options.transport));
  }

  /**
   * The session for a send of `bytes` made with `deadline` (ms since the epoch): now if there is
   * one, else after the reconnection, within the bounds of waiting-sends.ts.
   */
  async forSend(bytes: number, deadline: number): Promise<S> {
    for (;;) {
      if (this.state === 'open' && this.current !== undefined) return this.current;
      if (this.state !== 'reconnecting') throw new DisconnectedError('send', this.options.transport);
      await this.waiting.wait(bytes, deadline);
    }
  }

  /**
   * Close for good: a reconnection in progress ends, waiting sends fail with `reason` (by default a
   * {@link DisconnectedError}; a transport giving up passes its give-up error on to every connection).
   */
  async close(reason?: Error): Promise<void> {
    const wasClosed = this.state === 'closed';
    this.state = 'closed';
    this.cancelSleep();
    this.waiting.fail(reason ?? new DisconnectedError('send', this.options.transport));
    this.options.events.forget(this);
    await this.loop?.catch(() => undefined);
    this.loop = undefined;
    const session = this.current;
    this.current = undefined;
    if (session !== undefined && !wasClosed) await this.hooks.close(session);
  }

  private async reconnect(firstError: Error | undefined, policy: ReconnectPolicy): Promise<S> {
    let error: unknown = firstError;
    let attempt = 0;
    while (this.state === 'reconnecting') {
      attempt++;
      if (attempt > policy.attempts) break;
      this.options.events.attempt(this, attempt, error instanceof Error ? error : undefined);
      await this.sleep(reconnectDelay(attempt, policy));
      if (this.state !== 'reconnecting') break;
      let session: S | undefined;
      try {
        session = await this.hooks.open();
        if (this.state === 'reconnecting') await this.hooks.restore?.(session);
      } catch (failure) {
        error = failure;
        if (session !== undefined) await this.hooks.close(session);
        this.options.logger.warn(
          { err: failure, attempt },
          `${this.options.transport} transport: reconnection attempt ${attempt} failed`,
        );
        const kind = this.hooks.classify(failure);
        if (kind === 'login' || kind === 'fatal') break;
        continue;
      }
      if (this.state !== 'reconnecting') {
        await this.hooks.close(session);
        break;
      }
      this.current = session;
      this.state = 'open';
      this.loop = undefined;
      this.options.logger.info(
        { attempt },
        `${this.options.transport} transport: ${this.options.role} is back`,
      );
      this.options.events.up(this);
      this.waiting.release();
      return session;
    }
    if (this.state === 'closed') throw new DisconnectedError('send', this.options.transport);
    const attempts = Math.min(attempt, policy.attempts);
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown reason');
    const failure = new ConnectionError(
      `${this.options.transport} transport: gave up reconnecting ${this.options.role} after ${attempts} ` +
        `attempt(s) (${reason}); the transport is disconnected: check the broker, then connect() and ` +
        'subscribe again (raise reconnect.attempts or reconnect.maxDelay to wait longer)',
      { cause: error },
    );
    this.giveUp(failure);
    throw failure;
  }

  private giveUp(error: ConnectionError): void {
    this.state = 'closed';
    this.loop = undefined;
    this.cancelSleep();
    this.waiting.fail(error);
    // The transport gives up as a whole: its outage ends with `disconnected`, not `reconnected`.
    this.options.events.clear();
    this.options.logger.error({ err: error }, error.message);
    this.options.onGiveUp(error);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.cancelSleep();
        resolve();
      };
      this.wake = done;
      this.sleepTimer = setTimeout(done, ms);
    });
  }

  private cancelSleep(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepTimer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
