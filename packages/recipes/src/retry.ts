/**
 * Retrying a recipe send after a lost connection, as python-workflows' `RecipeWrapper._retry_transport`:
 * when a send fails because the connection is gone, wait 3·n² seconds, reconnect and try again, up
 * to 12 retries (3 + 12 + 27 + ... + 432 s, about 32.5 minutes in all), then raise the first error.
 * Any other failure (a bad argument, a missing capability, a broker refusal) is raised at once.
 */
import { ZOCALO_ERROR_CODES, isZocaloError } from '@zocalo/workflows';
import type { Logger, Transport } from '@zocalo/workflows';

/** When to retry a send that failed for want of a connection. */
export interface RetrySchedule {
  /** Retries after the first failure before giving up. python-workflows: 12. */
  readonly attempts: number;
  /** Seconds to wait before retry `attempt` (1-based). python-workflows: 3·attempt². */
  delaySeconds(attempt: number): number;
  /** How to wait; default a timer. Tests pass one that returns at once. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

/** python-workflows' schedule: 12 retries, 3·n² seconds before retry n. */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = Object.freeze({
  attempts: 12,
  delaySeconds: (attempt: number) => 3 * attempt * attempt,
});

/** A schedule that never retries: the first failure is raised. */
export const NO_RETRY: RetrySchedule = Object.freeze({ attempts: 0, delaySeconds: () => 0 });

/**
 * Whether an error means "no connection" (python-workflows' `workflows.Disconnected`): a
 * `DisconnectedError` or `ConnectionError` (or a subclass), of any copy of @zocalo/workflows.
 */
export function isConnectionFailure(error: unknown): boolean {
  return (
    isZocaloError(error, ZOCALO_ERROR_CODES.DisconnectedError) ||
    isZocaloError(error, ZOCALO_ERROR_CODES.ConnectionError)
  );
}

function timer(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Run `operation`; on a connection failure reconnect and retry by `schedule`. */
export async function withReconnect(
  transport: Transport,
  operation: () => Promise<void>,
  schedule: RetrySchedule,
  logger: Logger,
): Promise<void> {
  let attempt = 0;
  let firstFailure: { error: unknown } | undefined;
  for (;;) {
    try {
      if (firstFailure) {
        logger.info(
          { attempt, limit: schedule.attempts },
          `Reconnection attempt ${attempt} of ${schedule.attempts}`,
        );
        if (!transport.isConnected()) await transport.connect();
      }
      await operation();
      return;
    } catch (error) {
      if (!isConnectionFailure(error)) throw error;
      attempt++;
      firstFailure ??= { error };
      if (attempt > schedule.attempts) {
        logger.error({ err: error, attempts: attempt }, 'Transport connection failure');
        throw firstFailure.error;
      }
      const seconds = schedule.delaySeconds(attempt);
      logger.warn(
        { err: error, attempt, delay: seconds },
        `Connection failure detected during send attempt. Retrying in ${seconds} seconds`,
      );
      await (schedule.sleep ?? timer)(seconds * 1000);
    }
  }
}
