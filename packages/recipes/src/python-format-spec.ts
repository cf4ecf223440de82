/**
 * Python's `format(value, spec)` for JSON data: the format-spec mini-language
 * (`[[fill]align][sign][z][#][0][width][grouping][.precision][type]`) for `str`, `int`, `float` and
 * `bool`, with Python's rounding (round-half-even on the exact binary value) and Python's errors.
 * Used by `applyParameters` for placeholders such as `{image:05d}`.
 */
import { isPlainObject } from './json';
import { pyFloatRepr, pyStr } from './python-repr';

/** A spec cannot format the value (Python's ValueError / TypeError); the message is Python's. */
export class FormatSpecError extends Error {}

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

const SPEC = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?([0-9]+)?([,_])?(\.[0-9]*)?([\s\S])?$/u;

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

function parseSpec(text: string, typeName: string): Spec {
  const match = SPEC.exec(text);
  if (!match)
    throw new FormatSpecError(`Invalid format specifier '${text}' for object of type '${typeName}'`);
  const [, fill, align, sign, z, alternate, zero, width, grouping, precision, type] = match;
  if (precision === '.') throw new FormatSpecError('Format specifier missing precision');
  return {
    text,
    fill,
    align,
    sign,
    z: z !== undefined,
    alternate: alternate !== undefined,
    zero: zero !== undefined,
    width: width === undefined ? 0 : Number(width),
    grouping,
    precision: precision === undefined ? undefined : Number(precision.slice(1)),
    type,
  };
}

/** Python's `format(value, spec)` for a value that came from JSON. */
export function formatValue(value: unknown, specText: string): string {
  if (specText === '') return pyStr(value);
  const typeName = pyTypeName(value);
  if (typeof value === 'string') return formatString(value, parseSpec(specText, typeName));
  if (typeof value === 'boolean') return formatNumber(value ? 1 : 0, parseSpec(specText, 'int'), 'int');
  if (typeof value === 'number') return formatNumber(value, parseSpec(specText, typeName), typeName);
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
  if (spec.grouping !== undefined) throw new FormatSpecError(`Cannot specify '${spec.grouping}' with 's'.`);
  const body = spec.precision === undefined ? value : Array.from(value).slice(0, spec.precision).join('');
  return pad('', body, spec, '<');
}

function signText(negative: boolean, spec: Spec): string {
  if (negative) return '-';
  if (spec.sign === '+') return '+';
  if (spec.sign === ' ') return ' ';
  return '';
}

/** Insert a separator every `every` digits from the right of a run of digits. */
function group(digits: string, separator: string, every: number): string {
  let out = '';
  for (let i = digits.length; i > 0; i -= every) {
    out = digits.slice(Math.max(0, i - every), i) + (out === '' ? '' : separator + out);
  }
  return out;
}

/**
 * Lay out sign, prefix and digits with padding. With zero-padding and a separator, Python groups the
 * padding zeros too (`format(1234, '010,')` is `00,001,234`).
 */
function layout(sign: string, intDigits: string, rest: string, spec: Spec, every: number): string {
  if (spec.grouping === undefined) return pad(sign, intDigits + rest, spec, '>');
  const zeroFill = (spec.fill ?? (spec.zero ? '0' : ' ')) === '0';
  const align = spec.align ?? (spec.zero ? '=' : '>');
  let digits = intDigits;
  let grouped = group(digits, spec.grouping, every);
  if (zeroFill && align === '=') {
    while (length(sign) + grouped.length + length(rest) < spec.width) {
      digits = `0${digits}`;
      grouped = group(digits, spec.grouping, every);
    }
  }
  return pad(sign, grouped + rest, spec, '>');
}

const INTEGER_TYPES = 'bcdnoxX';
const FLOAT_TYPES = 'eEfFgGn%';

function formatNumber(value: number, spec: Spec, typeName: string): string {
  const isInt = typeName === 'int';
  const type = spec.type;
  if (isInt && (type === undefined || INTEGER_TYPES.includes(type))) return formatInteger(value, spec);
  if (type !== undefined && !FLOAT_TYPES.includes(type)) {
    throw new FormatSpecError(`Unknown format code '${type}' for object of type '${typeName}'`);
  }
  return formatFloat(value, spec);
}

function formatInteger(value: number, spec: Spec): string {
  const type = spec.type ?? 'd';
  if (spec.precision !== undefined)
    throw new FormatSpecError('Precision not allowed in integer format specifier');
  if (spec.z) throw new FormatSpecError('Negative zero coercion (z) not allowed in integer format specifier');
  const big = BigInt(value);
  const negative = big < 0n;
  const magnitude = negative ? -big : big;
  if (type === 'c') {
    if (spec.sign !== undefined)
      throw new FormatSpecError("Sign not allowed with integer format specifier 'c'");
    if (spec.alternate)
      throw new FormatSpecError("Alternate form (#) not allowed with integer format specifier 'c'");
    if (value < 0 || value > 0x10ffff) throw new FormatSpecError('%c arg not in range(0x110000)');
    return pad('', String.fromCodePoint(value), spec, '>');
  }
  const base = type === 'b' ? 2 : type === 'o' ? 8 : type === 'x' || type === 'X' ? 16 : 10;
  if (spec.grouping === ',' && base !== 10) throw new FormatSpecError(`Cannot specify ',' with '${type}'.`);
  if (spec.grouping !== undefined && type === 'n')
    throw new FormatSpecError(`Cannot specify '${spec.grouping}' with 'n'.`);
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
    const [whole, fraction] = fixed(type === '%' ? value * 100 : value, spec.precision ?? 6);
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

function formatFloat(value: number, spec: Spec): string {
  if (spec.grouping !== undefined && spec.type === 'n') {
    throw new FormatSpecError(`Cannot specify '${spec.grouping}' with 'n'.`);
  }
  const [whole, parts] = floatParts(value, spec);
  const upper = spec.type === 'E' || spec.type === 'F' || spec.type === 'G';
  const rest = upper ? parts.toUpperCase() : parts;
  let negative = value < 0 || Object.is(value, -0);
  if (negative && spec.z && /^[0.]*$/.test(whole + rest.replace(/[eE][-+][0-9]+$|%$/, ''))) negative = false;
  return layout(signText(negative, spec), whole, rest, spec, 3);
}
