/**
 * The Recipe class: load a recipe document (JSON text or object), look at it, validate it, fill in
 * parameters, merge it with another, write it back.
 *
 * Loading follows python-workflows' `Recipe._sanitize`: numeric-string keys (`"1"`) become step
 * numbers (a later `"01"` replaces `"1"`, as in Python), a scalar `output` becomes a one-element list, and entries keep Python's dict order
 * (`start`, `error` and any other text keys first, then the steps in document order). Loading
 * never throws for a recipe that is merely invalid — `validate()` says what is wrong — only for
 * text that is not JSON or a document that is not an object.
 *
 * A Recipe is not changed by its methods: `applyParameters` and `merge` return new recipes.
 */
import { MAX_BODY_DEPTH, decodeBody, encodeBody, jsonDepth } from '@zocalo/workflows';
import { RecipeValidationError } from './errors';
import {
  copyJson,
  hasOwn,
  isPlainObject,
  jsonEqual,
  jsonType,
  nestingProblem,
  setOwn,
  topLevelKeys,
} from './json';
import type { JsonObject } from './json';
import { mergeAllNodes, mergeNodes } from './merge';
import { applyParametersToNodes } from './parameters';
import type { ApplyParametersOptions } from './parameters';
import { pyInt } from './python-repr';
import type {
  RecipeDocument,
  RecipeKey,
  RecipeParameters,
  RecipeStep,
  StartEntry,
  StepLinks,
  StepNumber,
} from './types';
import { nodeProblems, validateNodes } from './validate';
import type { ProblemsOptions, ValidateOptions } from './validate';

/**
 * What a recipe can be built from: its JSON text, a document object (a {@link RecipeDocument}, or
 * any object: it is checked when loaded and validated), or another recipe.
 */
export type RecipeInput = Recipe | RecipeDocument | object | string | null | undefined;

/**
 * Python's rule for step keys: a key that `int()` reads as a non-zero number (`"1"`, also `"01"` or
 * `"-2"`) becomes that number; `"0"` and any other text stay text (and fail validation as "not
 * numeric").
 */
function stepNumberOf(key: string): number | undefined {
  if (key === 'start' || key === 'error') return undefined;
  const value = pyInt(key);
  return value === 0 || Object.is(value, -0) ? undefined : value;
}

/** Python's `_sanitize`, on a parsed document whose keys are given in document order. */
function sanitize(document: JsonObject, keys: readonly string[]): Map<RecipeKey, unknown> {
  const named: Array<[RecipeKey, unknown]> = [];
  const numbered: Array<[RecipeKey, unknown]> = [];
  for (const key of keys) {
    const value = document[key];
    if (hasOwn(value, 'output')) {
      const step = value as JsonObject;
      if (!Array.isArray(step.output) && !isPlainObject(step.output)) step.output = [step.output];
    }
    const number = stepNumberOf(key);
    if (number === undefined) named.push([key, value]);
    else numbered.push([number, value]);
  }
  return new Map([...named, ...numbered]);
}

/**
 * A recipe nested deeper than a message may be (`MAX_BODY_DEPTH`) is refused when loaded: no Python
 * service could read it, it could not be sent, and the walks over its values need not fear the call
 * stack. (A deep *chain* of steps is no nesting: 10,000 steps are 3 levels deep.)
 */
function tooDeep(): RecipeValidationError {
  return new RecipeValidationError(
    'json',
    `Invalid recipe: nested more than ${MAX_BODY_DEPTH} levels deep; no Python ` +
      'service could read it (its json module stops near 1000 levels) and it cannot be sent; flatten it',
  );
}

/**
 * Where JSON.parse stopped, 1-based, from its `at position N` (V8's message); the end of the text for
 * one that ends too soon. Undefined when the message has no position.
 */
function jsonErrorPlace(text: string, error: Error): { line: number; column: number } | undefined {
  const position = /at position (\d+)/.exec(error.message);
  const offset = position
    ? Math.min(Number(position[1]), text.length)
    : /Unexpected end of JSON input/.test(error.message)
      ? text.length
      : undefined;
  if (offset === undefined) return undefined;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

function load(input: Exclude<RecipeInput, Recipe>): Map<RecipeKey, unknown> {
  if (input === null || input === undefined) return new Map();
  let document: unknown;
  let keys: string[] | undefined;
  if (typeof input === 'string') {
    try {
      document = JSON.parse(input);
    } catch (error) {
      const where = jsonErrorPlace(input, error as Error);
      throw new RecipeValidationError(
        'json',
        `Invalid recipe: not valid JSON${where === undefined ? '' : ` at line ${where.line}, column ${where.column}`} (${(error as Error).message})`,
        { cause: error, line: where?.line, column: where?.column },
      );
    }
    // Only a text longer than twice the limit can be nested deeper than it
    if (input.length > 2 * MAX_BODY_DEPTH && jsonDepth(input, MAX_BODY_DEPTH) > MAX_BODY_DEPTH)
      throw tooDeep();
    if (isPlainObject(document)) keys = topLevelKeys(input);
  } else {
    // Before encodeBody: JSON.stringify of a deep object overflows the stack (a circular one it names)
    if (nestingProblem(input, MAX_BODY_DEPTH) === 'too deep') throw tooDeep();
    // The same copy the wire makes: plain data only, and a `__proto__` key stays a plain key.
    try {
      document = decodeBody(encodeBody(input));
    } catch (error) {
      throw new RecipeValidationError(
        'json',
        `Invalid recipe: cannot be written as JSON (${(error as Error).message})`,
        { cause: error },
      );
    }
  }
  if (document === null || document === undefined) return new Map();
  if (!isPlainObject(document)) {
    throw new RecipeValidationError(
      'not-object',
      `Invalid recipe: a recipe must be a JSON object, got ${jsonType(document)}`,
    );
  }
  return sanitize(document, keys ?? Object.keys(document));
}

export class Recipe {
  #nodes: Map<RecipeKey, unknown>;

  /**
   * Load a recipe from its JSON text, a document object, or another Recipe (copied). Nothing (or
   * `null`) gives the empty recipe. Throws {@link RecipeValidationError} (rule `json` or
   * `not-object`) for text that is not JSON or a document that is not an object.
   */
  constructor(input?: RecipeInput) {
    this.#nodes = input instanceof Recipe ? copyNodes(input.#nodes) : load(input);
  }

  /** Same as `new Recipe(input)`. */
  static parse(input: RecipeInput): Recipe {
    return new Recipe(input);
  }

  static #of(nodes: Map<RecipeKey, unknown>): Recipe {
    const recipe = new Recipe();
    recipe.#nodes = nodes;
    return recipe;
  }

  // ------------------------------------------------------------------ looking at it

  /** Number of top-level entries (steps plus `start` and `error`), like Python's `len(recipe)`. */
  get size(): number {
    return this.#nodes.size;
  }

  isEmpty(): boolean {
    return this.#nodes.size === 0;
  }

  /** Whether the recipe has this entry: a step number, `"start"` or `"error"`. */
  has(key: RecipeKey): boolean {
    return this.#nodes.has(key);
  }

  /** The raw entry (Python's `recipe[key]`); do not change what it returns. */
  get(key: RecipeKey): unknown {
    return this.#nodes.get(key);
  }

  /** The top-level keys in Python's dict order. */
  keys(): RecipeKey[] {
    return [...this.#nodes.keys()];
  }

  /** The step numbers, in document order. */
  get stepNumbers(): StepNumber[] {
    return this.keys().filter((key): key is number => typeof key === 'number');
  }

  /** A step, if the recipe has it (and it is an object). */
  step(number: StepNumber): RecipeStep | undefined {
    const step = this.#nodes.get(number);
    return isPlainObject(step) ? (step as RecipeStep) : undefined;
  }

  /** The start entries (empty if the recipe has none). */
  get start(): readonly StartEntry[] {
    const start = this.#nodes.get('start');
    return Array.isArray(start) ? (start as StartEntry[]) : [];
  }

  /** The recipe-wide error step(s), if any. */
  get error(): StepLinks | undefined {
    return this.#nodes.get('error') as StepLinks | undefined;
  }

  // ------------------------------------------------------------------ checking it

  /**
   * Check the recipe; throws {@link RecipeValidationError} at the first broken rule, with exactly
   * python-workflows' message for its rules (then the schema and the destination check, unless
   * `level: 'python'`).
   */
  validate(options?: ValidateOptions): void {
    validateNodes(this.#nodes, () => this.toJSON(), options);
  }

  /**
   * Every problem `validate()` would find, not only the first, in the same words: the first broken
   * python-workflows rule, then (unless `level: 'python'`) every schema problem and every step
   * without a queue or topic. Empty when the recipe is valid.
   */
  problems(options?: ProblemsOptions): RecipeValidationError[] {
    return nodeProblems(this.#nodes, () => this.toJSON(), options);
  }

  /** `validate()` as a boolean. */
  isValid(options?: ValidateOptions): boolean {
    try {
      this.validate(options);
      return true;
    } catch (error) {
      if (error instanceof RecipeValidationError) return false;
      throw error;
    }
  }

  // ------------------------------------------------------------------ changing it (into a new one)

  /**
   * A new recipe with `{name}` placeholders filled in from `parameters` in every string, keys and
   * values (see `parameters.ts` for the exact Python semantics). Apply parameters once, when the
   * recipe is started; services further down must not rewrite it. Throws
   * `RecipeParameterSizeError` if the placeholders would produce more than `maxOutput`
   * characters (default 16 MiB).
   */
  applyParameters(parameters: RecipeParameters, options?: ApplyParametersOptions): Recipe {
    return Recipe.#of(applyParametersToNodes(this.#nodes, parameters, options));
  }

  /**
   * A new recipe holding this one's steps and `other`'s, renumbered (recipes.md, "Merge"). Both
   * are validated first. Merging with nothing or an empty recipe returns a copy of the other side.
   */
  merge(other?: RecipeInput, options?: ValidateOptions): Recipe {
    if (other === null || other === undefined) return this.clone();
    const that = other instanceof Recipe ? other : new Recipe(other);
    if (that.isEmpty()) return this.clone();
    if (this.isEmpty()) return that.clone();
    this.validate(options);
    that.validate(options);
    return Recipe.#of(mergeNodes(this.#nodes, that.#nodes));
  }

  /**
   * One recipe holding the steps of all of `recipes`, in order: what `a.merge(b).merge(c)...` gives,
   * with the same validation errors, in time linear in their size. (Merging one at a time validates
   * and copies the growing recipe at every step: for 2,000 recipes, over a minute.)
   * Empty ones and `null` are skipped; when two or more are not empty, each distinct one is validated
   * once, in order, as `merge` validates both sides.
   */
  static mergeAll(recipes: readonly RecipeInput[], options?: ValidateOptions): Recipe {
    const parts: Recipe[] = [];
    for (const recipe of recipes) {
      if (recipe === null || recipe === undefined) continue;
      const part = recipe instanceof Recipe ? recipe : new Recipe(recipe);
      if (!part.isEmpty()) parts.push(part);
    }
    if (parts.length === 0) return new Recipe();
    if (parts.length === 1) return parts[0].clone();
    const validated = new Set<Recipe>();
    for (const part of parts) {
      if (validated.has(part)) continue;
      part.validate(options);
      validated.add(part);
    }
    return Recipe.#of(mergeAllNodes(parts.map((part) => part.#nodes)));
  }

  /** A deep copy. */
  clone(): Recipe {
    return Recipe.#of(copyNodes(this.#nodes));
  }

  // ------------------------------------------------------------------ writing it

  /** The recipe as a JSON document: step numbers written as string keys. A deep copy. */
  toJSON(): RecipeDocument {
    const document: JsonObject = {};
    for (const [key, value] of this.#nodes) setOwn(document, String(key), copyJson(value));
    return document as RecipeDocument;
  }

  /** The recipe as compact JSON text. */
  serialize(): string {
    return encodeBody(this.toJSON());
  }

  /** The recipe as JSON text indented by two spaces (for people: an integer beyond 2^53 is shown rounded). */
  pretty(): string {
    return JSON.stringify(
      this.toJSON(),
      (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value),
      2,
    );
  }

  toString(): string {
    return this.serialize();
  }

  /**
   * Whether `other` holds the same recipe, as Python's `==`: compared after loading, so a document
   * with `"1"` keys or a scalar `output` equals the loaded recipe. Text that is not a recipe is
   * simply not equal.
   */
  equals(other: RecipeInput): boolean {
    let that: Recipe;
    try {
      that = other instanceof Recipe ? other : new Recipe(other);
    } catch {
      return false;
    }
    if (this.#nodes.size !== that.#nodes.size) return false;
    for (const [key, value] of this.#nodes) {
      if (!that.#nodes.has(key) || !jsonEqual(value, that.#nodes.get(key))) return false;
    }
    return true;
  }
}

function copyNodes(nodes: ReadonlyMap<RecipeKey, unknown>): Map<RecipeKey, unknown> {
  return new Map([...nodes].map(([key, value]) => [key, copyJson(value)]));
}
