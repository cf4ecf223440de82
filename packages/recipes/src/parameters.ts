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
 */
import { RecipeParameterError } from './errors';
import { copyJson, hasOwn, isPlainObject, jsonType, setOwn } from './json';
import type { JsonObject } from './json';
import { FormatLimitError, FormatSpecError, formatValue } from './python-format-spec';
import { FormatSyntaxError, parseFormatString, splitFieldName } from './python-format-string';
import type { FormatField } from './python-format-string';
import { pyAscii, pyRepr, pyStr } from './python-repr';
import type { RecipeNodes } from './validate';
import type { RecipeKey, RecipeParameters } from './types';

/** A name the parameters do not have: Python's `SafeString`, which prints as `{name}`. */
class UnknownName {
  constructor(readonly text: string) {}
}

/** A placeholder that cannot be resolved: it stays as written. */
const UNRESOLVED: unique symbol = Symbol('unresolved');

function lookup(parameters: RecipeParameters, name: string): unknown {
  const { first, rest } = splitFieldName(name);
  if (typeof first === 'number') return UNRESOLVED; // positional field: Python has no arguments
  if (!hasOwn(parameters, first)) {
    // SafeString supports [text] only: "{name[a][b]}"
    if (rest.some((access) => access.attribute || typeof access.key === 'number')) return UNRESOLVED;
    return new UnknownName(`{${name}}`);
  }
  let value: unknown = (parameters as JsonObject)[first];
  for (const access of rest) {
    if (access.attribute) return UNRESOLVED;
    const key = access.key;
    if (typeof key === 'number' && Array.isArray(value) && key < value.length) value = value[key];
    else if (typeof key === 'number' && typeof value === 'string' && key < Array.from(value).length) {
      value = Array.from(value)[key];
    } else if (typeof key === 'string' && hasOwn(value, key)) value = (value as JsonObject)[key];
    else return UNRESOLVED;
  }
  return value;
}

function convert(value: unknown, conversion: string | undefined): unknown {
  if (conversion === undefined) return value;
  if (conversion !== 's' && conversion !== 'r' && conversion !== 'a') {
    throw new FormatSyntaxError(`Unknown conversion specifier ${conversion}`);
  }
  if (value instanceof UnknownName) return value.text;
  if (conversion === 's') return pyStr(value);
  return conversion === 'r' ? pyRepr(value) : pyAscii(value);
}

/** Python's `Formatter.vformat(text, (), SafeDict(parameters))`; `depth` as its recursion_depth. */
function vformat(text: string, parameters: RecipeParameters, depth: number): string {
  if (depth < 0) throw new FormatSyntaxError('Max string recursion exceeded');
  let out = '';
  for (const piece of parseFormatString(text)) {
    out += piece.literal;
    if (piece.field) out += formatField(piece.field, parameters, depth);
  }
  return out;
}

function formatField(field: FormatField, parameters: RecipeParameters, depth: number): string {
  if (field.name === '') return field.text; // "{}": automatic numbering, no arguments
  const found = lookup(parameters, field.name);
  if (found === UNRESOLVED) return field.text;
  const value = convert(found, field.conversion);
  const spec = vformat(field.spec, parameters, depth - 1);
  if (value instanceof UnknownName) return spec === '' ? value.text : field.text;
  return formatValue(value, spec);
}

/** `{$REPLACE:name}`: a deep copy of the named parameter, or null. */
function replacement(item: string, parameters: RecipeParameters): unknown {
  let last: unknown = null;
  for (const piece of parseFormatString(`{${item.slice(10, -1)}}`)) {
    if (!piece.field) continue;
    if (piece.field.name === '') return null;
    const found = lookup(parameters, piece.field.name);
    if (found === UNRESOLVED || found instanceof UnknownName) return null;
    last = convert(found, piece.field.conversion);
  }
  return copyJson(last);
}

function applyToString(item: string, parameters: RecipeParameters): unknown {
  try {
    if (item.startsWith('{$REPLACE') && item.endsWith('}')) return replacement(item, parameters);
    return vformat(item, parameters, 2);
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
export function applyParametersTo<T>(value: T, parameters: RecipeParameters): T {
  checkParameters(parameters);
  return apply(value, parameters) as T;
}

function apply(item: unknown, parameters: RecipeParameters): unknown {
  if (typeof item === 'string') return applyToString(item, parameters);
  if (Array.isArray(item)) return item.map((element) => apply(element, parameters));
  if (isPlainObject(item)) {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(item)) {
      setOwn(out, keyText(applyToString(key, parameters), key), apply(value, parameters));
    }
    return out;
  }
  return item;
}

function checkParameters(parameters: RecipeParameters): void {
  if (!isPlainObject(parameters)) {
    throw new RecipeParameterError(
      `Invalid recipe parameters: parameters must be an object of names to values, got ${jsonType(parameters)}`,
    );
  }
}

/** Apply parameters to the loaded entries of a recipe (step-number keys are left as they are). */
export function applyParametersToNodes(
  nodes: RecipeNodes,
  parameters: RecipeParameters,
): Map<RecipeKey, unknown> {
  checkParameters(parameters);
  const out = new Map<RecipeKey, unknown>();
  for (const [key, value] of nodes) {
    let newKey: RecipeKey = key;
    if (typeof key === 'string') {
      // A top-level key stays a Python key: text, an int (a step), or None/True/1.5 (not numeric)
      const applied = applyToString(key, parameters);
      if (typeof applied === 'number' && Number.isInteger(applied)) newKey = applied;
      else {
        keyText(applied, key); // throws for a list or an object
        newKey = pyStr(applied);
      }
    }
    out.set(newKey, apply(value, parameters));
  }
  return out;
}
