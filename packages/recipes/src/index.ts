/**
 * @zocalo/recipes: Zocalo recipes that validate like python-workflows' and route on any transport.
 *
 * - `recipe.ts`: the {@link Recipe} class (load, look at, validate, applyParameters, merge, write).
 * - `validate.ts`: the Python rules in Python's order with Python's messages, then ours.
 * - `schema.ts`: the JSON schema (also shipped as `@zocalo/recipes/schema.json`).
 * - `parameters.ts`: `{name}` substitution with Python's `string.Formatter` semantics.
 * - `python-repr.ts`: Python's `str()` and `repr()` of JSON data (`{'a': [1, 2]}`, `True`, `None`).
 * - `merge.ts`: merging two recipes.
 * - `recipe-wrapper.ts`: {@link RecipeWrapper}, which sends a step's results along the recipe.
 * - `wrap-subscribe.ts`: {@link wrapSubscribe} / {@link wrapSubscribeBroadcast} for services.
 * - `recipe-handler.ts`: {@link recipeHandler}, recipe messages under the service runtime.
 * - `retry.ts`: the reconnect-and-retry schedule for sends.
 * - `errors.ts`: the typed errors.
 */
export type {
  NamedOutputs,
  RecipeDocument,
  RecipeEnvelope,
  RecipeKey,
  RecipeParameters,
  RecipeStep,
  StartEntry,
  StepLinks,
  StepNumber,
} from './types';
export type { RecipeInput } from './recipe';
export { Recipe } from './recipe';
export type { ProblemsOptions, RecipeNodes, ValidateOptions } from './validate';
export { recipeSchema, checkRecipeSchema } from './schema';
export type { ApplyParametersOptions } from './parameters';
export { DEFAULT_MAX_PARAMETER_OUTPUT, applyParametersTo } from './parameters';
export { MAX_WIDTH_AND_PRECISION } from './python-format-spec';
export type { PyReprOptions } from './python-repr';
export { compareCodePoints, pyFloatRepr, pyIntText, pyRepr, pyStr, pyStringRepr } from './python-repr';
export { pformat, safeRepr } from './python-pformat';
export type { RecipeSendOptions, RecipeWrapperOptions } from './recipe-wrapper';
export { RECIPE_HEADER, RecipeWrapper } from './recipe-wrapper';
export type {
  MixedCallback,
  RecipeCallback,
  WrapOptions,
  WrapSubscribeBroadcastOptions,
  WrapSubscribeOptions,
} from './wrap-subscribe';
export { isRecipeMessage, wrapSubscribe, wrapSubscribeBroadcast } from './wrap-subscribe';
export type { MixedMessageHandler, RecipeHandlerOptions, RecipeMessageHandler } from './recipe-handler';
export { messageTransport, recipeHandler } from './recipe-handler';
export type { RetrySchedule } from './retry';
export {
  DEFAULT_RETRY_SCHEDULE,
  NO_RETRY,
  isConnectionFailure,
  isDisconnectedFailure,
  isNeverConnectedFailure,
} from './retry';
export type { RecipeErrorCode, RecipeRule } from './errors';
export {
  PyJsonError,
  RECIPE_ERROR_CODES,
  RecipeError,
  RecipeMessageError,
  RecipeParameterError,
  RecipeParameterSizeError,
  RecipeValidationError,
  RecipeWrapperError,
} from './errors';
export type { PyDict, PyDumpsOptions, PyValue } from './python-json';
export { PyFloat, fromPlain, pyDumps, pyJsonFloat, pyLoads, pyString, toPlain } from './python-json';
export type { RecipeEdge } from './recipe-graph';
export { recipeEdges, stepLines, toSvg } from './recipe-graph';
