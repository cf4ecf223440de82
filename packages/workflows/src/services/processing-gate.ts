/**
 * Lets at most `limit` pieces of work (message handlers, timer callbacks) run at once across all of a
 * service's subscriptions. Closing the gate turns away everything still waiting, and {@link idle}
 * tells when the work in hand has finished: that is how shutdown finishes the message in hand.
 */
export class ProcessingGate {
  private active = 0;
  private closed = false;
  private readonly waiting: Array<(admitted: boolean) => void> = [];
  private idleWaiters: Array<() => void> = [];

  /** @param paused admit nothing until {@link resume} (the service is still starting). */
  constructor(
    private readonly limit: number,
    private paused = false,
  ) {}

  /** Work running now. */
  get inUse(): number {
    return this.active;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Wait for a free slot. Resolves `false`, without a slot, once the gate is closed. */
  acquire(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (!this.paused && this.active < this.limit) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Start admitting work. */
  resume(): void {
    this.paused = false;
    while (!this.closed && this.active < this.limit && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!(true);
    }
  }

  /** Give a slot back (once per successful {@link acquire}). */
  release(): void {
    const next = this.closed ? undefined : this.waiting.shift();
    if (next) {
      next(true);
      return;
    }
    this.active--;
    if (this.active === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Admit nothing more; whatever is waiting gets `false`. */
  close(): void {
    this.closed = true;
    for (const resolve of this.waiting.splice(0)) resolve(false);
  }

  /** Resolves once no work is running. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
