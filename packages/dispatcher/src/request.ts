/**
 * A processing request, as `zocalo.go` sends it to `processing_recipe` and python-zocalo's
 * Dispatcher reads it: a JSON object with `recipes` (names of recipe files), `custom_recipe` (an
 * inline recipe) and `parameters` (an object; `guid` is the recipe ID, generated when absent).
 */
import { randomUUID } from 'node:crypto';
import type { RecipeDocument } from '@zocalo/recipes';
import { MAX_BODY_DEPTH } from '@zocalo/workflows';
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
 * Whether `value` nests arrays and objects more than `limit` levels deep (the value itself is level
 * 1, as `jsonDepth` counts JSON text). Iterative: a value of any depth is measured without
 * overflowing the stack, and the walk stops at the first level beyond the limit.
 */
function deeperThan(value: unknown, limit: number): boolean {
  const pending: Array<readonly [value: object, depth: number]> = [];
  if (value !== null && typeof value === 'object') pending.push([value, 1]);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [container, depth] = next;
    if (depth > limit) return true;
    for (const child of Object.values(container)) {
      if (child !== null && typeof child === 'object') pending.push([child as object, depth + 1]);
    }
  }
  return false;
}

/**
 * The request and its parameters, read from a message body. The parameters object is the one inside
 * the request (added if missing), so what is set on it — `guid`, `dispatcher_expiration` — travels
 * with the request when it is sent on, as in Python. Throws {@link DispatchError} for a body that is
 * not an object or parameters that are not an object (python-zocalo's message), and for a request
 * nested deeper than {@link MAX_BODY_DEPTH}: it could not be copied or sent on (recursion through it
 * would overflow the stack), so it is refused here, before anything works on it.
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
  if (deeperThan(body, MAX_BODY_DEPTH)) {
    throw new DispatchError(
      `Dispatcher rejected malformed message: the request is nested more than ${MAX_BODY_DEPTH} levels deep, ` +
        'so it cannot be passed on to any service; flatten its parameters',
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
 * Whether Python reads a JSON value as false: `None`, `False`, `0`, `""`, `[]`, `{}` (NaN is true).
 */
function pythonFalsy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === 0n) return true;
  if (value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/**
 * The recipe ID of a request: `parameters.guid` when given, else a new UUID4, which is then set as
 * `parameters.guid` — python-zocalo's `parameters.get("guid") or str(uuid.uuid4())`, so a guid Python
 * reads as false (`null`, `false`, `0`, `""`, `[]`, `{}`) gets a new one too. Throws
 * {@link DispatchError} for a guid that is a non-empty object or list. python-zocalo would take it as
 * the recipe ID as it is; here the ID is text, and turning a list into text recurses through it (a
 * RangeError for a deep one) or throws outright (`{"toString": 1}`).
 */
export function assignGuid(parameters: Record<string, unknown>, newId: () => string = randomUUID): string {
  const given = parameters.guid;
  if (pythonFalsy(given)) {
    const guid = newId();
    parameters.guid = guid;
    return guid;
  }
  if (given !== null && typeof given === 'object') {
    throw new DispatchError(
      'Dispatcher rejected malformed message: parameters.guid (the recipe ID) must be a string or a number, ' +
        `got ${Array.isArray(given) ? 'a list' : 'an object'}; ` +
        'leave it out to have one generated',
    );
  }
  const guid = String(given);
  parameters.guid = guid;
  return guid;
}
