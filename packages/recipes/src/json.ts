/**
 * Plain-JSON helpers that never pollute objects.
 *
 * A recipe or message may carry keys such as `__proto__`, `constructor` or `prototype` (Python treats
 * them as ordinary keys, so must we). Every object built here gets them as own data properties
 * (`Object.fromEntries` / `Object.defineProperty`, never an assignment that would hit the
 * `__proto__` setter), and every lookup checks own properties only, so `{}` never "has" a
 * `constructor` key.
 */

export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `Object.hasOwn`, narrowing to an object that has the key. */
export function hasOwn(value: unknown, key: string): boolean {
  return isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, key);
}

/** The value of an own property, or undefined (never an inherited one such as `constructor`). */
export function ownValue(value: unknown, key: string): unknown {
  return hasOwn(value, key) ? (value as JsonObject)[key] : undefined;
}

/** Set a key as an own data property, safe for `__proto__`. */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * What keeps a value from being JSON that our recursive walks (copies, repr, equality, parameters)
 * can take: arrays and objects nested more than `limit` deep (`[]` is 1 deep), or an object that
 * contains itself. Undefined if neither. It walks with an explicit stack, so any depth is answered
 * without overflowing the call stack, and stops at the first problem. (A shared object in two places
 * is no problem.)
 */
export function nestingProblem(value: unknown, limit: number): 'too deep' | 'circular' | undefined {
  const ancestors = new Set<object>();
  // [value, leaving]: each container is pushed again to be left once its children are done
  const stack: Array<[unknown, boolean]> = [[value, false]];
  while (stack.length > 0) {
    const [item, leaving] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (leaving) {
      ancestors.delete(item);
      continue;
    }
    if (ancestors.has(item)) return 'circular';
    if (ancestors.size + 1 > limit) return 'too deep';
    ancestors.add(item);
    stack.push([item, true]);
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, false]);
    }
  }
  return undefined;
}

/** A deep copy of JSON data; objects get their keys as own data properties. */
export function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => copyJson(item)) as T;
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyJson(item)])) as T;
  }
  return value;
}

/**
 * Deep equality of JSON data as Python compares dicts and lists: object key order does not matter,
 * list order does.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // An integer beyond 2^53 is a bigint when read from the wire, a number when computed: as Python's
  // int and float, equal when their values are.
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    // A number compares by the digits JSON writes for it (as the wire would carry it).
    const digits = (value: unknown): string | undefined =>
      typeof value === 'bigint' ? value.toString() : Number.isInteger(value) ? String(value) : undefined;
    const left = digits(a);
    return left !== undefined && left === digits(b);
  }
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => hasOwn(b, key) && jsonEqual(a[key], b[key]))
    );
  }
  return false;
}

/** A short name for the JSON type of a value, for error messages. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * The entries of the top-level JSON object in `text`, in document order, each with the raw text of
 * its value (a key given twice appears twice). Undefined if `text` does not hold an object. `text`
 * must already be known to be valid JSON.
 */
export function topLevelEntries(text: string): Array<[key: string, valueText: string]> | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  const entries: Array<[string, string]> = [];
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return entries;
  for (;;) {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // the ':'
    const valueEnd = skipValue(text, i);
    entries.push([key, text.slice(i, valueEnd)]);
    i = skipSpace(text, valueEnd);
    if (text[i] === '}') return entries;
    i = skipSpace(text, i + 1); // the ','
  }
}

/**
 * The keys of the top-level JSON object in `text`, in document order (first occurrence of each).
 *
 * `JSON.parse` returns integer-like keys ("1", "2") in ascending order whatever their order in the
 * text; Python keeps document order, and the validation messages depend on it (the first
 * unreferenced step is reported). `text` must already be known to be valid JSON.
 */
export function topLevelKeys(text: string): string[] | undefined {
  const entries = topLevelEntries(text);
  return entries && [...new Set(entries.map(([key]) => key))];
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t'))
    i++;
  return i;
}

/** `i` is at an opening quote; returns the index after the closing quote. */
function skipString(text: string, i: number): number {
  i++;
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** `i` is at the start of a value; returns the index after it. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    do {
      const d = text[i];
      if (d === '"') {
        i = skipString(text, i);
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') depth--;
      i++;
    } while (depth > 0);
    return i;
  }
  while (i < text.length && !',}] \n\r\t'.includes(text[i])) i++;
  return i;
}
