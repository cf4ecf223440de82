/**
 * Retrying a recipe send after a lost connection, as python-workflows' `RecipeWrapper._retry_transport`,
 * in the one case no transport has retried already (docs/architecture.md, "Who retries a send"):
 *
 * - The transport owns "try again" for a lost connection: a broker transport with `reconnect` on keeps
 *   a send waiting for the new connection, and sends it again there, until `sendTimeout` after the
 *   call. A `ConnectionError` from a send means it has done all the trying there is (the time is up,
 *   its backlog is full, it gave up reconnecting, or reconnect is off): raised at once, not retried.
 * - A `DisconnectedError` means the transport refused the send without trying it, for it was not
 *   connected. That send alone is retried here: wait 3·n² seconds, connect, send again, up to 12
 *   retries (3 + 12 + 27 + ... + 432 s, about 32.5 minutes in all), then raise the first error. A
 *   reconnect that fails with a connection error counts as a failed retry.
 * - A `DisconnectedError` of a transport that was never connected (`neverConnected`) is a mistake in
 *   the program, not a lost connection: raised at once (python-workflows would retry it for 32 minutes).
 * - Any other failure (a bad argument, a missing capability, a broker refusal) is raised at once.
 */
import { ZOCALO_ERROR_CODES, isZocaloError } from '@zocalo/workflows';
import type { Logger, Transport } from '@zocalo/workflows';

/** When to retry a send that the transport refused for want of a connection (a DisconnectedError). */
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

/**
 * Whether the transport refused an operation without trying it, for it was not connected: a
 * {@link DisconnectedError} (by code, of any copy of @zocalo/workflows). The only send failure the
 * recipe layer retries: a `ConnectionError` comes after the transport's own retrying.
 */
export function isDisconnectedFailure(error: unknown): boolean {
  return isZocaloError(error, ZOCALO_ERROR_CODES.DisconnectedError);
}

/** A DisconnectedError of a transport that was never connected (`connect()` was forgotten). */
export function isNeverConnectedFailure(error: unknown): boolean {
  return isDisconnectedFailure(error) && (error as { neverConnected?: unknown }).neverConnected === true;
}

function timer(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/**
 * Run `operation`; when the transport refuses it for want of a connection, reconnect and retry by
 * `schedule` (see the top of this file for what is retried and why).
 */
export async function withReconnect(
  transport: Transport,
  operation: () => Promise<void>,
  schedule: RetrySchedule,
  logger: Logger,
): Promise<void> {
  let attempt = 0;
  let firstFailure: { error: unknown } | undefined;
  const failed = async (error: unknown): Promise<void> => {
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
  };
  for (;;) {
    if (firstFailure) {
      logger.info(
        { attempt, limit: schedule.attempts },
        `Reconnection attempt ${attempt} of ${schedule.attempts}`,
      );
      try {
        if (!transport.isConnected()) await transport.connect();
      } catch (error) {
        // Our own reconnect, which no transport retries: a broker still away is a failed retry.
        if (!isConnectionFailure(error)) throw error;
        await failed(error);
        continue;
      }
    }
    try {
      await operation();
      return;
    } catch (error) {
      if (!isDisconnectedFailure(error) || isNeverConnectedFailure(error)) throw error;
      await failed(error);
    }
  }
}
