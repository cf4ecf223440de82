/**
 * `applyParameters`: fill `{name}` placeholders in every string of a recipe, keys and values, as
 * python-workflows' `Recipe.apply_parameters` does with `string.Formatter` and a dict that returns
 * unknown names as `{name}`:
 *
 * - `{name}` becomes the parameter as text (Python's `str()`: `5`, `[1, 2]`, `{'a': 1}`, `True`);
 *   `{name[key]}` indexes into an object (or, with digits, a list); `{name:05d}` and `{name!r}`
 *   format as Python does; `{{` and `}}` are literal braces.
 * - An unknown `{name}` (also `{name[a][b]}`) is left as it is.
 * - A string that is exactly `{$REPLACE:name}` (more precisely: starts with `{$REPLACE` and ends with
 *   `}`) becomes a deep copy of the parameter itself (list, object, number), or `null` if missing.
 * - A string that is not a valid Python format string (a lone `}`, an unclosed `{`) fails with
 *   {@link RecipeParameterError}, as Python fails.
 *
 * Where Python would raise for a placeholder it cannot resolve — a missing key in a known object
 * (`KeyError`), a positional `{}` or `{0}` (`IndexError`), attribute access `{name.attr}`, an unknown
 * name with a format spec (`TypeError`) — we leave that placeholder as written instead, following
 * the spec's "unknown placeholders are left alone".
 *
 * Limits (ours; Python has none): what the placeholders of one call produce is capped
 * ({@link ApplyParametersOptions.maxOutput}), so that a small request cannot grow into a huge message;
 * parameters nested deeper than a message may be (`MAX_BODY_DEPTH`) are refused, as is a
 * `{$REPLACE:…}` that would nest the recipe deeper than that.
 */
import { MAX_BODY_DEPTH, encodeBody } from '@zocalo/workflows';
import { RecipeParameterError, RecipeParameterSizeError } from './errors';
import { copyJson, hasOwn, isPlainObject, jsonType, nestingProblem, setOwn } from './json';
import type { JsonObject } from './json';
import { FormatLimitError, FormatSpecError, formatValue } from './python-format-spec';
import { FormatSyntaxError, parseFormatString, splitFieldName } from './python-format-string';
import type { FormatField } from './python-format-string';
import { pyAscii, pyRepr, pyStr } from './python-repr';
import type { RecipeNodes } from './validate';
import type { RecipeKey, RecipeParameters } from './types';

/**
 * Default of {@link ApplyParametersOptions.maxOutput}: 16 MiB of text. Far more than any real recipe
 * (a few kB, with parameters of a few hundred bytes), well under what the brokers carry (ActiveMQ's
 * default frame limit is 100 MB, RabbitMQ's message limit 128 MB), and a size a service can still
 * decode and hold without trouble.
 */
export const DEFAULT_MAX_PARAMETER_OUTPUT = 16 * 1024 * 1024;

export interface ApplyParametersOptions {
  /**
   * The most text (in UTF-16 code units, about characters) that the placeholders of one call may
   * produce, all together: each filled-in `{…}` (also one inside a format spec, and the text a `!r`,
   * `!s` or `!a` conversion makes on the way) and the JSON size of each `{$REPLACE:…}` value. The
   * recipe's own text is not counted. Beyond it {@link RecipeParameterSizeError} is thrown.
   * Default {@link DEFAULT_MAX_PARAMETER_OUTPUT} (16 MiB); `Infinity` for no limit.
   */
  readonly maxOutput?: number;
}

/** A name the parameters do not have: Python's `SafeString`, which prints as `{name}`. */
class UnknownName {
  constructor(readonly text: string) {}
}

/** A placeholder that cannot be resolved: it stays as written. */
const UNRESOLVED: unique symbol = Symbol('unresolved');

/** One call's parameters, and what its placeholders have produced so far. */
class Substitution {
  #produced = 0;
  /** The string being filled in, for messages. */
  item = '';
  /**
   * Where each code point of a string parameter starts, for `{name[3]}` (Python indexes text by code
   * point); null for text without surrogates, where that is every index. Found once per string, not
   * at every use.
   */
  readonly #offsets = new Map<string, Uint32Array | null>();

  constructor(
    readonly parameters: RecipeParameters,
    readonly maxOutput: number,
  ) {}

  /** Count `size` more units of output; throws once the total passes the limit. */
  charge(size: number): void {
    this.#produced += size;
    if (this.#produced <= this.maxOutput) return;
    const shown = this.item.length > 60 ? `${this.item.slice(0, 60)}...` : this.item;
    throw new RecipeParameterSizeError(
      `Invalid recipe parameters: the placeholders would produce more than ${this.maxOutput} characters ` +
        `(reached while filling in ${JSON.stringify(shown)}); a recipe that large is most likely a large ` +
        `parameter used many times: put it in once with {$REPLACE:name}, send the data another way, ` +
        `or raise the maxOutput option`,
      this.maxOutput,
    );
  }

  /** `text`, counted as output. */
  produced(text: string): string {
    this.charge(text.length);
    return text;
  }

  /** The code point at `index` of `text`, or undefined past its end. */
  codePointAt(text: string, index: number): string | undefined {
    let offsets = this.#offsets.get(text);
    if (offsets === undefined) {
      offsets = /[\ud800-\udfff]/.test(text) ? codePointOffsets(text) : null;
      this.#offsets.set(text, offsets);
    }
    if (offsets === null) return index < text.length ? text[index] : undefined;
    if (index >= offsets.length) return undefined;
    return text.slice(offsets[index], index + 1 < offsets.length ? offsets[index + 1] : text.length);
  }
}

function codePointOffsets(text: string): Uint32Array {
  const offsets: number[] = [];
  let offset = 0;
  for (const char of text) {
    offsets.push(offset);
    offset += char.length;
  }
  return Uint32Array.from(offsets);
}

function lookup(run: Substitution, name: string): unknown {
  const { first, rest } = splitFieldName(name);
  if (typeof first === 'number') return UNRESOLVED; // positional field: Python has no arguments
  if (!hasOwn(run.parameters, first)) {
    // SafeString supports [text] only: "{name[a][b]}"
    if (rest.some((access) => access.attribute || typeof access.key === 'number')) return UNRESOLVED;
    return new UnknownName(`{${name}}`);
  }
  let value: unknown = (run.parameters as JsonObject)[first];
  for (const access of rest) {
    if (access.attribute) return UNRESOLVED;
    const key = access.key;
    if (typeof key === 'number' && Array.isArray(value) && key < value.length) value = value[key];
    else if (typeof key === 'number' && typeof value === 'string') {
      const point = run.codePointAt(value, key);
      if (point === undefined) return UNRESOLVED;
      value = point;
    } else if (typeof key === 'string' && hasOwn(value, key)) value = (value as JsonObject)[key];
    else return UNRESOLVED;
  }
  return value;
}

function convert(run: Substitution, value: unknown, conversion: string | undefined): unknown {
  if (conversion === undefined) return value;
  if (conversion !== 's' && conversion !== 'r' && conversion !== 'a') {
    throw new FormatSyntaxError(`Unknown conversion specifier ${conversion}`);
  }
  if (value instanceof UnknownName) return value.text;
  // Counted: `{big!r:.1}` makes little output but all of repr(big) first
  if (conversion === 's') return run.produced(pyStr(value));
  return run.produced(conversion === 'r' ? pyRepr(value) : pyAscii(value));
}

/** Python's `Formatter.vformat(text, (), SafeDict(parameters))`; `depth` as its recursion_depth. */
function vformat(text: string, run: Substitution, depth: number): string {
  if (depth < 0) throw new FormatSyntaxError('Max string recursion exceeded');
  let out = '';
  for (const piece of parseFormatString(text)) {
    out += piece.literal;
    if (piece.field) out += formatField(piece.field, run, depth);
  }
  return out;
}

function formatField(field: FormatField, run: Substitution, depth: number): string {
  if (field.name === '') return field.text; // "{}": automatic numbering, no arguments
  const found = lookup(run, field.name);
  if (found === UNRESOLVED) return field.text;
  const value = convert(run, found, field.conversion);
  const spec = vformat(field.spec, run, depth - 1);
  if (value instanceof UnknownName) return spec === '' ? value.text : field.text;
  return run.produced(formatValue(value, spec));
}

/** `{$REPLACE:name}`: a deep copy of the named parameter, or null. */
function replacement(item: string, run: Substitution): unknown {
  let last: unknown = null;
  for (const piece of parseFormatString(`{${item.slice(10, -1)}}`)) {
    if (!piece.field) continue;
    if (piece.field.name === '') return null;
    const found = lookup(run, piece.field.name);
    if (found === UNRESOLVED || found instanceof UnknownName) return null;
    last = convert(run, found, piece.field.conversion);
  }
  // Counted before it is copied: its size as JSON, the size it adds to the message
  run.charge(typeof last === 'string' ? last.length + 2 : encodeBody(last).length);
  return copyJson(last);
}

/** Fill in one string; `depth` is how deep it sits (containers around it), for `{$REPLACE:…}`. */
function applyToString(item: string, run: Substitution, depth: number): unknown {
  run.item = item;
  try {
    if (item.startsWith('{$REPLACE') && item.endsWith('}')) {
      const value = replacement(item, run);
      // (a copy of the parameters, which are known not to be circular)
      if (nestingProblem(value, MAX_BODY_DEPTH - depth) !== undefined) {
        throw new RecipeParameterError(
          `Invalid recipe parameters: ${JSON.stringify(item)} would nest the recipe more than ` +
            `${MAX_BODY_DEPTH} levels deep, which no message may be; flatten the parameter`,
        );
      }
      return value;
    }
    return vformat(item, run, 2);
  } catch (error) {
    if (error instanceof FormatSyntaxError || error instanceof FormatSpecError) {
      // A limit is no syntax slip: the brace hint would mislead
      const hint = error instanceof FormatLimitError ? '' : ' (write {{ and }} for literal braces)';
      throw new RecipeParameterError(
        `Invalid recipe parameters: cannot fill in ${JSON.stringify(item)}: ${error.message}${hint}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** A key after substitution, as JSON writes it (Python's json.dumps turns int/None/bool keys to text). */
function keyText(key: unknown, original: string): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'boolean' || key === null) return JSON.stringify(key);
  throw new RecipeParameterError(
    `Invalid recipe parameters: the key ${JSON.stringify(original)} would become a ${jsonType(key)}, ` +
      `which cannot be a key`,
  );
}

/**
 * Apply parameters to any JSON value: every string, object key and nested value. Returns a new
 * value; the input is not changed.
 */
export function applyParametersTo<T>(
  value: T,
  parameters: RecipeParameters,
  options?: ApplyParametersOptions,
): T {
  const run = start(parameters, options);
  checkNesting(value, 'the value to fill in');
  return apply(value, run, 0) as T;
}

/** Values nest at most MAX_BODY_DEPTH deep (checked by the callers), so recursion is safe here. */
function apply(item: unknown, run: Substitution, depth: number): unknown {
  if (typeof item === 'string') return applyToString(item, run, depth);
  if (Array.isArray(item)) return item.map((element) => apply(element, run, depth + 1));
  if (isPlainObject(item)) {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(item)) {
      setOwn(out, keyText(applyToString(key, run, depth + 1), key), apply(value, run, depth + 1));
    }
    return out;
  }
  return item;
}

/** Values our recursive walks can take: not nested beyond what a message may be, not circular. */
function checkNesting(value: unknown, what: string): void {
  const problem = nestingProblem(value, MAX_BODY_DEPTH);
  if (problem === undefined) return;
  throw new RecipeParameterError(
    problem === 'too deep'
      ? `Invalid recipe parameters: ${what}: nested more than ${MAX_BODY_DEPTH} levels deep, which no ` +
          'message may be (no Python service could read it); flatten it'
      : `Invalid recipe parameters: ${what}: contains itself (a circular reference), which JSON cannot carry`,
  );
}

/** Check the parameters and the options; the state of one call. */
function start(parameters: RecipeParameters, options: ApplyParametersOptions | undefined): Substitution {
  if (!isPlainObject(parameters)) {
    throw new RecipeParameterError(
      `Invalid recipe parameters: parameters must be an object of names to values, got ${jsonType(parameters)}`,
    );
  }
  checkNesting(parameters, 'the parameters');
  const maxOutput = options?.maxOutput ?? DEFAULT_MAX_PARAMETER_OUTPUT;
  if (typeof maxOutput !== 'number' || Number.isNaN(maxOutput) || maxOutput < 0) {
    throw new RecipeParameterError(
      `Invalid recipe parameters: the maxOutput option must be a number of characters (0 or more, or ` +
        `Infinity), got ${String(maxOutput)}`,
    );
  }
  return new Substitution(parameters, maxOutput);
}

/** Apply parameters to the loaded entries of a recipe (step-number keys are left as they are). */
export function applyParametersToNodes(
  nodes: RecipeNodes,
  parameters: RecipeParameters,
  options?: ApplyParametersOptions,
): Map<RecipeKey, unknown> {
  const run = start(parameters, options);
  const out = new Map<RecipeKey, unknown>();
  for (const [key, value] of nodes) {
    let newKey: RecipeKey = key;
    if (typeof key === 'string') {
      // A top-level key stays a Python key: text, an int (a step), or None/True/1.5 (not numeric)
      const applied = applyToString(key, run, 1);
      if (typeof applied === 'number' && Number.isInteger(applied)) newKey = applied;
      else {
        keyText(applied, key); // throws for a list or an object
        newKey = pyStr(applied);
      }
    }
    // an entry's value sits inside the recipe object
    out.set(newKey, apply(value, run, 1));
  }
  return out;
}
