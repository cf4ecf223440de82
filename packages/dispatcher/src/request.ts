/**
 * A processing request, as `zocalo.go` sends it to `processing_recipe` and python-zocalo's
 * Dispatcher reads it: a JSON object with `recipes` (names of recipe files), `custom_recipe` (an
 * inline recipe) and `parameters` (an object; `guid` is the recipe ID, generated when absent).
 */
import { randomUUID } from 'node:crypto';
import type { RecipeDocument } from '@zocalo/recipes';
import { DispatchError } from './errors';

/** The queue the Dispatcher listens on. */
export const PROCESSING_QUEUE = 'processing_recipe';

/** The body of a processing request. Other keys are kept and passed to filters. */
export interface ProcessingRequest {
  /** Names of recipe files (`<name>.json`) in the recipe directory. */
  recipes?: string[];
  /** An inline recipe. */
  custom_recipe?: RecipeDocument;
  /** Values for the recipe's `{name}` placeholders; `guid` is the recipe ID. */
  parameters?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What a processing request is made from (python-zocalo's `zocalo.go` options). */
export interface ProcessingRequestOptions {
  /** Names of recipe files in the Dispatcher's recipe directory. */
  readonly recipes?: readonly string[];
  /** An inline recipe (the document of a recipe file). */
  readonly customRecipe?: RecipeDocument;
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Makes the recipe ID when `parameters.guid` is not given. Default: a UUID4. */
  readonly newId?: () => string;
}

/**
 * A processing request in python-zocalo's format, with its recipe ID decided here (`parameters.guid`
 * if given, else a new UUID4) so that the sender knows it; the Dispatcher keeps a given guid.
 */
export function processingRequest(options: ProcessingRequestOptions): {
  request: ProcessingRequest;
  guid: string;
} {
  const parameters: Record<string, unknown> = { ...options.parameters };
  const guid = assignGuid(parameters, options.newId);
  const request: ProcessingRequest = { recipes: [...(options.recipes ?? [])], parameters };
  if (options.customRecipe !== undefined) request.custom_recipe = options.customRecipe;
  return { request, guid };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

/**
 * The request and its parameters, read from a message body. The parameters object is the one inside
 * the request (added if missing), so what is set on it — `guid`, `dispatcher_expiration` — travels
 * with the request when it is sent on, as in Python. Throws {@link DispatchError} for a body that is
 * not an object or parameters that are not an object (python-zocalo's message).
 */
export function readRequest(body: unknown): {
  request: ProcessingRequest;
  parameters: Record<string, unknown>;
} {
  if (!isObject(body)) {
    throw new DispatchError(
      `Dispatcher rejected malformed message: the request must be a JSON object, got ${typeName(body)}`,
    );
  }
  const request = body as ProcessingRequest;
  if (!('parameters' in request) || request.parameters === undefined) request.parameters = {};
  if (!isObject(request.parameters)) {
    throw new DispatchError('Dispatcher rejected malformed message: parameters not given as dictionary');
  }
  return { request, parameters: request.parameters };
}

/**
 * The recipe ID of a request: `parameters.guid` when given (and not empty), else a new UUID4, which
 * is then set as `parameters.guid` (python-zocalo: `parameters.get("guid") or str(uuid.uuid4())`).
 */
export function assignGuid(parameters: Record<string, unknown>, newId: () => string = randomUUID): string {
  const given = parameters.guid;
  const guid =
    given === undefined || given === null || given === '' || given === false ? newId() : String(given);
  parameters.guid = guid;
  return guid;
}
