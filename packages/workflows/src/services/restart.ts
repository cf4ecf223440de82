/**
 * Restarting a service that keeps failing, with exponential back-off — what python-workflows'
 * frontend does with `restart_service` (`exponential_backoff()`: 0.1 s doubling up to 5 s, starting
 * over once a service has run for 10 s).
 */
import { getDefaultLogger } from '../logger';
import type { Logger } from '../logger';
import type { Clock } from './clock';
import { sleep, systemClock } from './clock';

export interface BackoffOptions {
  /** Seconds to wait after the first failure. Default 0.1. */
  readonly initialDelay?: number;
  /** The longest wait, in seconds. Default 5. */
  readonly maxDelay?: number;
}

export interface RestartOptions extends BackoffOptions {
  /** A run that lasted this many seconds was healthy: the next wait starts over. Default 10. */
  readonly resetAfter?: number;
  /** Give up, rejecting with the last error, after this many failures in a row. Default: never. */
  readonly maxFailures?: number;
  /** Stops restarting (and cuts a wait short) when aborted; runWithRestart then resolves. */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Seconds to wait after `failures` failures in a row (1, 2, ...): doubling, capped. */
export function backoffDelay(failures: number, options: BackoffOptions = {}): number {
  const initial = options.initialDelay ?? 0.1;
  const max = options.maxDelay ?? 5;
  return Math.min(max, initial * 2 ** Math.max(0, failures - 1));
}

/**
 * Call `run` until it resolves (the service ended cleanly, e.g. on a shutdown request). Each time it
 * rejects, wait ({@link backoffDelay}) and call it again.
 *
 * ```ts
 * await runWithRestart(() => runService(new MyService(), { transport: makeTransport() }));
 * ```
 */
export async function runWithRestart(
  run: (attempt: number) => Promise<void>,
  options: RestartOptions = {},
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? getDefaultLogger();
  const resetAfter = (options.resetAfter ?? 10) * 1000;
  let failures = 0;
  for (let attempt = 1; !options.signal?.aborted; attempt++) {
    const started = clock.now();
    try {
      await run(attempt);
      return;
    } catch (error) {
      failures = clock.now() - started >= resetAfter ? 1 : failures + 1;
      if (options.maxFailures !== undefined && failures >= options.maxFailures) {
        logger.error({ err: error, attempt, failures }, 'service failed; giving up');
        throw error;
      }
      const delay = backoffDelay(failures, options);
      logger.error({ err: error, attempt, failures, delay }, `service failed; restarting in ${delay} s`);
      if (!(await sleep(clock, delay * 1000, options.signal))) return;
    }
  }
}
