/**
 * Holding a request back until it is ready (python-zocalo's `ready_for_processing` hooks): while a
 * hook says "not yet", the request is sent back to the Dispatcher's queue with a 2 s delay; once
 * `dispatcher_timeout` seconds (a parameter, default 120) have passed since it was first held back,
 * it goes to the queue named by the parameter `dispatcher_error_queue`, or, without one, is rejected
 * to the dead-letter queue. The deadline travels with the request as the parameter
 * `dispatcher_expiration` (epoch seconds), as in Python.
 */
import type { Logger, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { DispatchError } from './errors';
import type { ProcessingRequest } from './request';

/** Seconds a request may be held back when the request does not say (`dispatcher_timeout`). */
export const DEFAULT_DISPATCHER_TIMEOUT = 120;

/** Seconds between two looks at a request that is not ready. */
export const HOLD_BACK_DELAY = 2;

/** What a readiness hook may use besides the request. */
export interface ReadinessContext {
  readonly guid: string;
  readonly logger: Logger;
  readonly header: ReceivedHeaders;
  readonly transport: Transport;
}

/**
 * Says whether a request may be processed now. `false` holds it back. A hook that throws gets the
 * request released for redelivery (a passing fault gets another try), like any service error; one
 * that throws a `PermanentError` gets it dead-lettered.
 */
export type ReadinessHook = (
  request: Readonly<ProcessingRequest>,
  parameters: Readonly<Record<string, unknown>>,
  context: ReadinessContext,
) => boolean | Promise<boolean>;

/** What to do with a request that is not ready. */
export type HoldBack =
  | { readonly kind: 'retry'; readonly delay: number; readonly expiration: number }
  | { readonly kind: 'error-queue'; readonly queue: string }
  | { readonly kind: 'dead-letter' };

function seconds(value: unknown, name: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new DispatchError(
      `Dispatcher rejected malformed message: parameter ${name} must be a number of seconds, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

/**
 * Decide what happens to a request a hook held back, at `now` (epoch seconds). Sets
 * `parameters.dispatcher_expiration` the first time (now + `dispatcher_timeout`, whole seconds as
 * Python's `int()`).
 */
export function holdBack(parameters: Record<string, unknown>, now: number): HoldBack {
  if (!('dispatcher_expiration' in parameters)) {
    const timeout = Math.trunc(
      seconds(parameters.dispatcher_timeout ?? DEFAULT_DISPATCHER_TIMEOUT, 'dispatcher_timeout'),
    );
    parameters.dispatcher_expiration = now + timeout;
  }
  const expiration = seconds(parameters.dispatcher_expiration, 'dispatcher_expiration');
  if (expiration > now) return { kind: 'retry', delay: HOLD_BACK_DELAY, expiration };
  const queue = parameters.dispatcher_error_queue;
  if (typeof queue === 'string' && queue !== '') return { kind: 'error-queue', queue };
  return { kind: 'dead-letter' };
}
