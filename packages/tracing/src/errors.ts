/** The codes of this package's errors; the classes live beside the code that throws them. */

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const TRACING_ERROR_CODES = Object.freeze({
  TracingSetupError: 'ZOCALO_TRACING_SETUP',
} as const);

/** A code of {@link TRACING_ERROR_CODES}. */
export type TracingErrorCode = (typeof TRACING_ERROR_CODES)[keyof typeof TRACING_ERROR_CODES];
