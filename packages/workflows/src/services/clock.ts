/**
 * Time as the service runtime sees it. Everything that waits (status broadcasts, timers, restart
 * back-off) goes through a {@link Clock}, so tests can replace it with a fake one and never sleep.
 */

/** An opaque handle for a scheduled callback. */
export type ClockTimer = object;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Cancel a callback scheduled with {@link Clock.setTimeout}; a no-op when it already ran. */
  clearTimeout(timer: ClockTimer): void;
}

/** The real clock: `Date.now` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * Wait `ms` milliseconds on `clock`. Resolves `true` when the time is up, `false` as soon as
 * `signal` aborts (at once if it already has).
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
