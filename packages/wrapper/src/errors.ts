/** The errors of @zocalo/wrapper. Each message says what happened and what to do. */
import { ZocaloError } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const WRAPPER_ERROR_CODES = Object.freeze({
  WrapperError: 'ZOCALO_WRAPPER',
  UnknownWrapperError: 'ZOCALO_UNKNOWN_WRAPPER',
  RecipeWrapperFileError: 'ZOCALO_RECIPE_WRAPPER_FILE',
} as const);

/** A code of {@link WRAPPER_ERROR_CODES}. */
export type WrapperErrorCode = (typeof WRAPPER_ERROR_CODES)[keyof typeof WRAPPER_ERROR_CODES];

/** A wrapper cannot be made or run as asked (the base of this package's errors). */
export class WrapperError extends ZocaloError {
  static override readonly code: string = WRAPPER_ERROR_CODES.WrapperError;
}

/** No installed package (and no built-in) provides a wrapper of that name. */
export class UnknownWrapperError extends WrapperError {
  static override readonly code: string = WRAPPER_ERROR_CODES.UnknownWrapperError;

  constructor(
    readonly wrapper: string,
    readonly known: readonly string[],
  ) {
    super(
      `unknown wrapper "${wrapper}": known wrappers are ${known.join(', ') || 'none'} (zocalo wrap --list); ` +
        'install the package that provides it, or declare it in package.json under "zocalo": { "wrappers": { ... } }',
    );
  }
}

/** The recipe wrapper file (`--recipewrapper`) cannot be read, is not JSON, or is not a recipe message. */
export class RecipeWrapperFileError extends WrapperError {
  static override readonly code: string = WRAPPER_ERROR_CODES.RecipeWrapperFileError;

  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`recipe wrapper file ${file}: ${problem}`, options);
  }
}
