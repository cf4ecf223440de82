/**
 * Python's `str()` and `repr()` of JSON data, so that messages and substituted parameters read
 * exactly as python-workflows writes them: `['start', 1, 2]`, `{'a': [1, 2]}`, `True`, `None`.
 *
 * JSON data maps onto Python types as `json.loads` does it: whole numbers are `int`, other
 * numbers `float`, `true`/`false` are `True`/`False`, `null` is `None`. (A JSON `2.0` is a float in
 * Python but the number 2 in JavaScript; it prints as `2`.)
 */
import { isPlainObject } from './json';

/** Python's `str(value)`: strings as they are, everything else as `repr`. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's order of `str` keys: by code point (not by UTF-16 unit, as `Array.prototype.sort`). */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const difference = left[index].codePointAt(0)! - right[index].codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

export interface PyReprOptions {
  /** Dict keys sorted at every level, by code point: `pprint.saferepr`. Default: in their order. */
  readonly sortKeys?: boolean;
}

/** Python's `repr(value)` (with `sortKeys`, `pprint.saferepr(value)`). */
export function pyRepr(value: unknown, options: PyReprOptions = {}): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? pyIntText(value) : pyFloatRepr(value);
  // An integer beyond 2^53, read exactly from the wire (see decodeBody).
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pyStringRepr(value);
  if (Array.isArray(value)) return `[${value.map((item) => pyRepr(item, options)).join(', ')}]`;
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    if (options.sortKeys) entries.sort(([a], [b]) => compareCodePoints(a, b));
    const items = entries.map(([key, item]) => `${pyStringRepr(key)}: ${pyRepr(item, options)}`);
    return `{${items.join(', ')}}`;
  }
  return String(value);
}

/** A whole number in decimal digits, also beyond 2^53 (where `String()` would switch to `1e+21`). */
export function pyIntText(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (as JavaScript's), in fixed notation
 * when the decimal exponent is in [-4, 16), otherwise `d.ddde+XX` with at least two exponent digits.
 */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e');
  const exponent = Number(exponentText);
  const digits = mantissa.replace('.', '');
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    let text: string;
    if (exponent < 0) text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
    else if (digits.length <= exponent + 1) text = `${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
    else text = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
    return sign + text;
  }
  const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${body}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** Python's `repr(str)`: single quotes unless the text has a single quote and no double quote. */
export function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code === 0x20 || !NOT_PRINTABLE.test(char)) out += char;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** Python's `str.isprintable()` is false for "Other" and "Separator" characters (except space). */
const NOT_PRINTABLE = /^[\p{C}\p{Z}]$/u;

/** Python's `ascii(value)`: `repr` with every non-ASCII character escaped. */
export function pyAscii(value: unknown): string {
  let out = '';
  for (const char of pyRepr(value)) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) out += char;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out;
}

/**
 * Python's `int(text)` for ASCII text: optional spaces and sign, digits with single underscores
 * between them (`" +1_0 "` is 10). Undefined where Python raises ValueError, or past 2^53.
 */
export function pyInt(text: string): number | undefined {
  if (!/^\s*[-+]?[0-9]+(?:_[0-9]+)*\s*$/.test(text)) return undefined;
  const value = Number(text.replace(/_/g, '').trim());
  return Number.isSafeInteger(value) ? value : undefined;
}
