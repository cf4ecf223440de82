/** Typed errors of @zocalo/recipes. Each message says what is wrong, and where. */
import { ZocaloError } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const RECIPE_ERROR_CODES = Object.freeze({
  RecipeError: 'ZOCALO_RECIPE',
  RecipeValidationError: 'ZOCALO_RECIPE_INVALID',
  RecipeParameterError: 'ZOCALO_RECIPE_PARAMETER',
  RecipeParameterSizeError: 'ZOCALO_RECIPE_PARAMETER_SIZE',
  RecipeMessageError: 'ZOCALO_RECIPE_MESSAGE',
  RecipeWrapperError: 'ZOCALO_RECIPE_WRAPPER',
  FormatSyntaxError: 'ZOCALO_RECIPE_FORMAT_SYNTAX',
  FormatSpecError: 'ZOCALO_RECIPE_FORMAT_SPEC',
  FormatLimitError: 'ZOCALO_RECIPE_FORMAT_LIMIT',
  PyJsonError: 'ZOCALO_PYTHON_JSON',
} as const);

/** A code of {@link RECIPE_ERROR_CODES}. */
export type RecipeErrorCode = (typeof RECIPE_ERROR_CODES)[keyof typeof RECIPE_ERROR_CODES];

/** Base class of every error this package throws on purpose. */
export class RecipeError extends ZocaloError {
  static override readonly code: string = RECIPE_ERROR_CODES.RecipeError;
}

/**
 * Which rule a recipe broke. The first twelve are python-workflows' rules, in the order it checks
 * them (`recipes.md`, "Validation"); the rest are ours.
 */
export type RecipeRule =
  | 'no-recipe'
  | 'start-missing'
  | 'start-empty'
  | 'start-invalid'
  | 'start-self'
  | 'error-start'
  | 'error-self'
  | 'not-numeric'
  | 'invalid-link'
  | 'missing-node'
  | 'cycle'
  | 'unreferenced'
  // our additions
  | 'json'
  | 'not-object'
  | 'schema'
  | 'no-destination';

/**
 * A recipe is not valid. The message is exactly python-workflows' for its rules (operators grep
 * for them), e.g. `Invalid recipe: "start" node missing`; `rule` says which rule failed.
 */
export class RecipeValidationError extends RecipeError {
  static override readonly code: string = RECIPE_ERROR_CODES.RecipeValidationError;
  /** Where in the recipe's text the problem is (1-based), when known: a JSON syntax error. */
  readonly line?: number;
  readonly column?: number;

  constructor(
    readonly rule: RecipeRule,
    message: string,
    options?: { cause?: unknown; line?: number; column?: number },
  ) {
    super(message, options);
    this.line = options?.line;
    this.column = options?.column;
  }
}

/** `applyParameters` met a string that is not a valid Python format string (as Python would fail). */
export class RecipeParameterError extends RecipeError {
  static override readonly code: string = RECIPE_ERROR_CODES.RecipeParameterError;
}

/**
 * `applyParameters` stopped: its placeholders would produce more text than the `maxOutput` option
 * allows (16 MiB unless set), the sign of a large parameter used many times.
 */
export class RecipeParameterSizeError extends RecipeParameterError {
  static override readonly code: string = RECIPE_ERROR_CODES.RecipeParameterSizeError;

  constructor(
    message: string,
    /** The limit that was passed, in characters. */
    readonly limit: number,
  ) {
    super(message);
  }
}

/** A received message is not a usable recipe envelope (`wire-format.md`, "The recipe envelope"). */
export class RecipeMessageError extends RecipeError {
  static override readonly code: string = RECIPE_ERROR_CODES.RecipeMessageError;
}

/**
 * A RecipeWrapper was used in a way its state does not allow: sending without a transport or a
 * current step, starting a recipe twice, addressing a step the recipe does not have.
 */
export class RecipeWrapperError extends RecipeError {
  static override readonly code: string = RECIPE_ERROR_CODES.RecipeWrapperError;
}

/** Thrown by `pyLoads` for text that Python's `json` module would not read. */
export class PyJsonError extends ZocaloError {
  static override readonly code: string = RECIPE_ERROR_CODES.PyJsonError;
}
