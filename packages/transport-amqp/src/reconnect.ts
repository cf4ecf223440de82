/** Exponential backoff with jitter for reconnection attempts. Times in seconds, as in the options. */
import type { ReconnectOptions } from './amqp-settings';

/** How much of each wait is random, to keep many clients from reconnecting in step. */
const JITTER = 0.2;

/** Milliseconds to wait before reconnection attempt `attempt` (1-based). */
export function backoffDelay(
  attempt: number,
  options: Required<ReconnectOptions>,
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxDelay, options.initialDelay * 2 ** (attempt - 1));
  const jittered = base * (1 - JITTER + 2 * JITTER * random());
  return Math.round(Math.min(options.maxDelay, jittered) * 1000);
}

/** A wait that {@link Sleeper.cancel} ends early (when the transport is disconnected meanwhile). */
export class Sleeper {
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
    this.wake = undefined;
  }
}
