/** Typed errors of @zocalo/dispatcher. */
import { PermanentError } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const DISPATCHER_ERROR_CODES = Object.freeze({
  DispatchError: 'ZOCALO_DISPATCH',
} as const);

/** A code of {@link DISPATCHER_ERROR_CODES}. */
export type DispatcherErrorCode = (typeof DISPATCHER_ERROR_CODES)[keyof typeof DISPATCHER_ERROR_CODES];

/**
 * A request the Dispatcher will not process: its message says why, in python-zocalo's words where
 * it has them. The request is rejected (nack, which dead-letters it) and the message logged. It is a
 * {@link PermanentError}: one that escapes a handler has the runtime dead-letter the request too.
 */
export class DispatchError extends PermanentError {
  static override readonly code: string = DISPATCHER_ERROR_CODES.DispatchError;
}
