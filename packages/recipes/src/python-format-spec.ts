/**
 * Python's `format(value, spec)` for JSON data: the format-spec mini-language
 * (`[[fill]align][sign][z][#][0][width][grouping][.precision][type]`) for `str`, `int` (a whole
 * number, or a `bigint` for an integer beyond 2^53, formatted exactly as Python formats any int),
 * `float` and `bool`, with Python's rounding (round-half-even on the exact binary value) and Python's
 * errors. Work is linear in the output, and width and precision are capped
 * ({@link MAX_WIDTH_AND_PRECISION}).
 * Used by `applyParameters` for placeholders such as `{image:05d}`.
 */
import { RECIPE_ERROR_CODES, RecipeError } from './errors';
import { isPlainObject } from './json';
import { pyFloatRepr, pyStr } from './python-repr';

/** A spec cannot format the value (Python's ValueError / TypeError); the message is Python's. */
export class FormatSpecError extends RecipeError {
  static override readonly code: string = RECIPE_ERROR_CODES.FormatSpecError;
}

/**
 * The largest width and the largest precision a format spec may give. Python accepts up to
 * sys.maxsize ("Too many decimal digits in format string" beyond) and then runs out of memory, so a
 * few bytes of spec (`{n:0999999999}`) could ask for gigabytes. 10,000 is far beyond any real use: a
 * width pads a queue name, a file name or a log column (tens of characters), and no float has more
 * than 1074 digits after the point that are not zero (767 significant digits), so a larger precision
 * only adds zeros. At the cap one field costs well under a millisecond.
 */
export const MAX_WIDTH_AND_PRECISION = 10_000;

/** A width or precision beyond {@link MAX_WIDTH_AND_PRECISION}: our limit, not Python's. */
export class FormatLimitError extends FormatSpecError {
  static override readonly code: string = RECIPE_ERROR_CODES.FormatLimitError;
}

interface Spec {
  readonly text: string;
  readonly fill: string | undefined;
  readonly align: string | undefined;
  readonly sign: string | undefined;
  readonly z: boolean;
  readonly alternate: boolean;
  readonly zero: boolean;
  readonly width: number;
  readonly grouping: string | undefined;
  readonly precision: number | undefined;
  readonly type: string | undefined;
}

// `,_` and `_,` are matched only to give Python's message for them.
const SPEC = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?([0-9]+)?(,_|_,|[,_])?(\.[0-9]*)?([\s\S])?$/u;

/** The types each separator may go with (CPython's parse_internal_render_format_spec). */
const COMMA_TYPES = 'defgEG%F';
const UNDERSCORE_TYPES = 'defgEG%FboxX';

function limited(what: string, value: number, text: string): number {
  if (value <= MAX_WIDTH_AND_PRECISION) return value;
  throw new FormatLimitError(
    `${what} ${value} in format spec '${text}' is more than ${MAX_WIDTH_AND_PRECISION}, the most a ` +
      `recipe parameter may ask for (MAX_WIDTH_AND_PRECISION); use a smaller ${what.toLowerCase()}`,
  );
}

function pyTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (Array.isArray(value)) return 'list';
  if (isPlainObject(value)) return 'dict';
  return typeof value;
}

/**
 * Parse a spec. `defaultType` is the type Python checks a separator against when the spec names
 * none (`s` for str, `d` for int, none for float).
 */
function parseSpec(text: string, typeName: string, defaultType?: string): Spec {
  const match = SPEC.exec(text);
  if (!match)
    throw new FormatSpecError(`Invalid format specifier '${text}' for object of type '${typeName}'`);
  const [, fill, align, sign, z, alternate, zero, width, grouping, precision, type] = match;
  // Python's order: width, separators, precision, then which types a separator goes with
  const widthValue = width === undefined ? 0 : limited('Width', Number(width), text);
  if (grouping?.length === 2) throw new FormatSpecError("Cannot specify both ',' and '_'.");
  if (precision === '.') throw new FormatSpecError('Format specifier missing precision');
  const precisionValue =
    precision === undefined ? undefined : limited('Precision', Number(precision.slice(1)), text);
  if (grouping !== undefined) {
    const allowed = grouping === ',' ? COMMA_TYPES : UNDERSCORE_TYPES;
    const checked = type ?? defaultType;
    if (checked !== undefined && !allowed.includes(checked)) {
      throw new FormatSpecError(`Cannot specify '${grouping}' with '${checked}'.`);
    }
  }
  return {
    text,
    fill,
    align,
    sign,
    z: z !== undefined,
    alternate: alternate !== undefined,
    zero: zero !== undefined,
    width: widthValue,
    grouping,
    precision: precisionValue,
    type,
  };
}

/** Python's `format(value, spec)` for a value that came from JSON. */
export function formatValue(value: unknown, specText: string): string {
  if (specText === '') return pyStr(value);
  const typeName = pyTypeName(value);
  if (typeof value === 'string') return formatString(value, parseSpec(specText, typeName, 's'));
  if (typeof value === 'boolean') return formatNumber(value ? 1 : 0, parseSpec(specText, 'int', 'd'), 'int');
  if (typeof value === 'number' || typeof value === 'bigint') {
    return formatNumber(value, parseSpec(specText, typeName, typeName === 'int' ? 'd' : undefined), typeName);
  }
  throw new FormatSpecError(`unsupported format string passed to ${typeName}.__format__`);
}

function length(text: string): number {
  let count = 0;
  for (const _char of text) count++;
  return count;
}

/** Pad `prefix + body` to the spec's width; `=` puts the padding between them. */
function pad(prefix: string, body: string, spec: Spec, defaultAlign: string): string {
  const fill = spec.fill ?? (spec.zero ? '0' : ' ');
  const align = spec.align ?? (spec.zero && defaultAlign === '>' ? '=' : defaultAlign);
  const missing = spec.width - length(prefix) - length(body);
  if (missing <= 0) return prefix + body;
  switch (align) {
    case '<':
      return prefix + body + fill.repeat(missing);
    case '^': {
      const left = Math.floor(missing / 2);
      return fill.repeat(left) + prefix + body + fill.repeat(missing - left);
    }
    case '=':
      return prefix + fill.repeat(missing) + body;
    default:
      return fill.repeat(missing) + prefix + body;
  }
}

function formatString(value: string, spec: Spec): string {
  if (spec.type !== undefined && spec.type !== 's') {
    throw new FormatSpecError(`Unknown format code '${spec.type}' for object of type 'str'`);
  }
  if (spec.sign !== undefined) throw new FormatSpecError('Sign not allowed in string format specifier');
  if (spec.alternate) throw new FormatSpecError('Alternate form (#) not allowed in string format specifier');
  if (spec.align === '=') throw new FormatSpecError("'=' alignment not allowed in string format specifier");
  return pad('', spec.precision === undefined ? value : firstCodePoints(value, spec.precision), spec, '<');
}

/** The first `count` code points of `text`, without walking the rest of it. */
function firstCodePoints(text: string, count: number): string {
  let end = 0;
  for (let seen = 0; seen < count && end < text.length; seen++) {
    const code = text.charCodeAt(end);
    const pair = code >= 0xd800 && code <= 0xdbff && end + 1 < text.length;
    end += pair && (text.charCodeAt(end + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return text.slice(0, end);
}

function signText(negative: boolean, spec: Spec): string {
  if (negative) return '-';
  if (spec.sign === '+') return '+';
  if (spec.sign === ' ') return ' ';
  return '';
}

/** Insert a separator every `every` digits from the right of a run of digits. */
function group(digits: string, separator: string, every: number): string {
  const head = digits.length % every || every;
  const groups = [digits.slice(0, head)];
  for (let i = head; i < digits.length; i += every) groups.push(digits.slice(i, i + every));
  return groups.join(separator);
}

/** How long `count` digits are once grouped. */
function groupedLength(count: number, every: number): number {
  return count + Math.floor((count - 1) / every);
}

/**
 * Lay out sign, prefix and digits with padding. With zero-padding and a separator, Python groups the
 * padding zeros too (`format(1234, '010,')` is `00,001,234`): it adds the fewest zeros that make the
 * grouped digits at least as wide as the room left, so the result is one wider when the room would
 * start with a separator (`format(5, '04,')` is `0,005`).
 */
function layout(sign: string, intDigits: string, rest: string, spec: Spec, every: number): string {
  if (spec.grouping === undefined) return pad(sign, intDigits + rest, spec, '>');
  const zeroFill = (spec.fill ?? (spec.zero ? '0' : ' ')) === '0';
  const align = spec.align ?? (spec.zero ? '=' : '>');
  let digits = intDigits;
  const room = spec.width - length(sign) - length(rest);
  if (zeroFill && align === '=' && groupedLength(digits.length, every) < room) {
    // Counted, not searched digit by digit (that was quadratic in the width): start near the answer,
    // grouped length grows by one or two per digit, then step to the smallest count that fits.
    let count = Math.max(digits.length, Math.ceil((room * every) / (every + 1)));
    while (count > digits.length && groupedLength(count - 1, every) >= room) count--;
    while (groupedLength(count, every) < room) count++;
    digits = digits.padStart(count, '0');
  }
  return pad(sign, group(digits, spec.grouping, every) + rest, spec, '>');
}

const INTEGER_TYPES = 'bcdnoxX';
const FLOAT_TYPES = 'eEfFgGn%';

/** The range of a C long (64 bits here), which Python's `c` converts to first. */
const C_LONG_MIN = -(2n ** 63n);
const C_LONG_MAX = 2n ** 63n - 1n;

/** `value` is an int (a whole number, or a bigint: integers beyond 2^53 decoded exactly) or a float. */
function formatNumber(value: number | bigint, spec: Spec, typeName: string): string {
  const type = spec.type;
  if (typeName === 'int' && (type === undefined || INTEGER_TYPES.includes(type))) {
    return formatInteger(BigInt(value), spec);
  }
  if (type !== undefined && !FLOAT_TYPES.includes(type)) {
    throw new FormatSpecError(`Unknown format code '${type}' for object of type '${typeName}'`);
  }
  return formatFloat(toFloat(value), spec);
}

/** Python's `float(int)`: correctly rounded (as `Number(bigint)` is), an error where it overflows. */
function toFloat(value: number | bigint): number {
  if (typeof value === 'number') return value;
  const float = Number(value);
  if (!Number.isFinite(float)) throw new FormatSpecError('int too large to convert to float');
  return float;
}

function formatInteger(value: bigint, spec: Spec): string {
  const type = spec.type ?? 'd';
  if (spec.precision !== undefined)
    throw new FormatSpecError('Precision not allowed in integer format specifier');
  if (spec.z) throw new FormatSpecError('Negative zero coercion (z) not allowed in integer format specifier');
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  if (type === 'c') {
    if (spec.sign !== undefined)
      throw new FormatSpecError("Sign not allowed with integer format specifier 'c'");
    if (spec.alternate)
      throw new FormatSpecError("Alternate form (#) not allowed with integer format specifier 'c'");
    if (value < C_LONG_MIN || value > C_LONG_MAX) {
      throw new FormatSpecError('Python int too large to convert to C long');
    }
    if (value < 0n || value > 0x10ffffn) throw new FormatSpecError('%c arg not in range(0x110000)');
    return pad('', String.fromCodePoint(Number(value)), spec, '>');
  }
  const base = type === 'b' ? 2 : type === 'o' ? 8 : type === 'x' || type === 'X' ? 16 : 10;
  let digits = magnitude.toString(base);
  if (type === 'X') digits = digits.toUpperCase();
  const prefix = spec.alternate && base !== 10 ? `0${type}` : '';
  return layout(signText(negative, spec) + prefix, digits, '', spec, base === 10 ? 3 : 4);
}

/** The exact binary value of a finite double as `mantissa * 2^exponent`. */
function exactBinary(value: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(value));
  const high = view.getUint32(0);
  const bits = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (bits === 0) return { mantissa, exponent: -1074 };
  mantissa |= 1n << 52n;
  return { mantissa, exponent: bits - 1075 };
}

/** `round(|value| * 10^scale)`, rounding half to even on the exact value, as CPython's dtoa does. */
function scaledRound(value: number, scale: number): bigint {
  const { mantissa, exponent } = exactBinary(value);
  let numerator = mantissa;
  let denominator = 1n;
  if (exponent >= 0) numerator <<= BigInt(exponent);
  else denominator <<= BigInt(-exponent);
  if (scale >= 0) numerator *= 10n ** BigInt(scale);
  else denominator *= 10n ** BigInt(-scale);
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/** `|value|` with `decimals` digits after the point: `[integer digits, fraction digits]`. */
function fixed(value: number, decimals: number): [string, string] {
  const digits = scaledRound(value, decimals)
    .toString()
    .padStart(decimals + 1, '0');
  return [digits.slice(0, digits.length - decimals), digits.slice(digits.length - decimals)];
}

/** `|value|` rounded to `significant` digits: the digits and the decimal exponent of the first. */
function scientific(value: number, significant: number): { digits: string; exponent: number } {
  if (value === 0) return { digits: '0'.repeat(significant), exponent: 0 };
  let exponent = Math.floor(Math.log10(Math.abs(value)));
  for (;;) {
    const digits = scaledRound(value, significant - 1 - exponent).toString();
    if (digits.length > significant) exponent++;
    else if (digits.length < significant) exponent--;
    else return { digits, exponent };
  }
}

function exponentText(exponent: number): string {
  return `e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function stripZeros(fraction: string): string {
  return fraction.replace(/0+$/, '');
}

/** Python's float formatting: returns [integer digits, the rest (point, fraction, exponent, %)]. */
function floatParts(value: number, spec: Spec): [string, string] {
  const type = spec.type;
  const point = (fraction: string): string => (fraction !== '' || spec.alternate ? `.${fraction}` : '');
  if (type === 'f' || type === 'F' || type === '%') {
    const [whole, fraction] = fixed(value, spec.precision ?? 6); // '%': already times 100
    return [whole, point(fraction) + (type === '%' ? '%' : '')];
  }
  if (type === 'e' || type === 'E') {
    const precision = spec.precision ?? 6;
    const { digits, exponent } = scientific(value, precision + 1);
    return [digits[0], point(digits.slice(1)) + exponentText(exponent)];
  }
  if (type === undefined && spec.precision === undefined) {
    // like repr(): shortest digits
    const text = pyFloatRepr(Math.abs(value));
    const match = /^([0-9]+)(.*)$/.exec(text)!;
    return [match[1], match[2]];
  }
  // 'g', 'G', 'n', or no type with a precision ('g' that keeps one digit after the point)
  const precision = Math.max(spec.precision ?? 6, 1);
  const addDotZero = type === undefined;
  const { digits, exponent } = scientific(value, precision);
  const useExponent = exponent < -4 || exponent >= (addDotZero ? precision - 1 : precision);
  if (useExponent) {
    const fraction = spec.alternate ? digits.slice(1) : stripZeros(digits.slice(1));
    return [digits[0], point(fraction) + exponentText(exponent)];
  }
  const [whole, fractionFull] = fixed(value, Math.max(precision - 1 - exponent, 0));
  let fraction = spec.alternate ? fractionFull : stripZeros(fractionFull);
  if (addDotZero && fraction === '') fraction = '0';
  return [whole, point(fraction)];
}

function formatFloat(number: number, spec: Spec): string {
  // Python multiplies first, so a large enough value is inf% (as a double would be)
  const value = spec.type === '%' ? number * 100 : number;
  const upper = spec.type === 'E' || spec.type === 'F' || spec.type === 'G';
  if (!Number.isFinite(value)) {
    // Python writes inf and nan (INF, NAN for E, F, G) for every type, and never groups their padding
    const text = (Number.isNaN(value) ? 'nan' : 'inf') + (spec.type === '%' ? '%' : '');
    return pad(signText(value < 0, spec), upper ? text.toUpperCase() : text, spec, '>');
  }
  const [whole, parts] = floatParts(value, spec);
  const rest = upper ? parts.toUpperCase() : parts;
  let negative = value < 0 || Object.is(value, -0);
  if (negative && spec.z && /^[0.]*$/.test(whole + rest.replace(/[eE][-+][0-9]+$|%$/, ''))) negative = false;
  return layout(signText(negative, spec), whole, rest, spec, 3);
}
