/** Typed errors of @zocalo/jsonlines. */
import { PermanentError } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const JSONLINES_ERROR_CODES = Object.freeze({
  JsonLinesWriteError: 'ZOCALO_JSONLINES_WRITE',
} as const);

/** A code of {@link JSONLINES_ERROR_CODES}. */
export type JsonLinesErrorCode = (typeof JSONLINES_ERROR_CODES)[keyof typeof JSONLINES_ERROR_CODES];

/**
 * A message's line could not be written to its file (a folder where the file should be, a file where
 * a folder should be, no permission, a full disk): `path` says which, `cause` the system's error. As
 * python-zocalo nacks such a message, it is a {@link PermanentError}: the runtime dead-letters the
 * message, with this error logged.
 */
export class JsonLinesWriteError extends PermanentError {
  static override readonly code: string = JSONLINES_ERROR_CODES.JsonLinesWriteError;

  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
