/**
 * One ordered stream of reconnection events per transport, however many connections it holds. A
 * transport with several connections (STOMP: one per subscription) sees them drop together when the
 * broker goes; each reconnects on its own, and listeners would otherwise hear interleaved attempt
 * counters. Here an outage starts with the first connection down and ends when the last is back:
 * `reconnecting` is emitted for attempts 1, 2, 3, ... (the furthest any connection has got), then one
 * `reconnected`.
 */
import type { TransportEvent } from '../transport';

export class ReconnectEvents {
  /** Connections down, and the attempt each has reached. */
  private readonly down = new Map<object, number>();
  private reported = 0;

  constructor(private readonly emit: (event: TransportEvent) => void) {}

  /** A connection is about to make reconnection attempt `attempt` (1-based). */
  attempt(connection: object, attempt: number, error?: Error): void {
    this.down.set(connection, attempt);
    if (attempt <= this.reported) return;
    // A connection that joins late (or skips ahead) still yields consecutive numbers.
    while (this.reported < attempt) {
      this.reported++;
      this.emit({ type: 'reconnecting', attempt: this.reported, error });
    }
  }

  /** A connection is back (or was closed on purpose): the outage ends when none is down. */
  up(connection: object): void {
    if (!this.down.delete(connection)) return;
    if (this.down.size > 0) return;
    this.reported = 0;
    this.emit({ type: 'reconnected' });
  }

  /**
   * A connection closed on purpose (an unsubscription) is no longer waited for: if the others are
   * all back, the outage is over.
   */
  forget(connection: object): void {
    this.up(connection);
  }

  /** Forget every connection without emitting (the transport gave up or disconnected). */
  clear(): void {
    this.down.clear();
    this.reported = 0;
  }

  /** True while an outage is in progress. */
  get outage(): boolean {
    return this.down.size > 0;
  }
}
