/** JSON "mangling" of message bodies (wire-format.md, "Bodies"). */
import { isUtf8 } from 'node:buffer';
import { InvalidArgumentError } from './errors';

// Python's json module writes float('nan') and float('inf') as the bare tokens NaN, Infinity and
// -Infinity (json.dumps' default allow_nan=True) and reads them back; JSON.parse refuses them and
// JSON.stringify writes null. Both directions go through sentinel strings so that such numbers make
// the round trip with a Python service. The nonce keeps a sentinel from matching a real string.
const NONCE = Math.random().toString(36).slice(2);
const NON_FINITE: ReadonlyArray<readonly [token: string, value: number]> = [
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
];
/** Python's token (also `String(value)`) → sentinel string. */
const SENTINEL_OF = new Map(NON_FINITE.map(([token]) => [token, `\u0000zocalo:${NONCE}:${token}`]));
/** Sentinel string → the number. */
const VALUE_OF = new Map(NON_FINITE.map(([token, value]) => [SENTINEL_OF.get(token) as string, value]));

/**
 * Deepest nesting of arrays and objects a body may have. Python's json.loads gives up near 1000 levels
 * (its recursion limit), so a deeper body could never be read by a Python service; and a body that
 * deep is a mistake or an attack, not data.
 */
export const MAX_BODY_DEPTH = 512;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** The index of the quote that closes the JSON string opened at `open` (or the text's length). */
function stringEnd(text: string, open: number): number {
  // indexOf runs natively, far faster per character than a loop here: only the backslashes right
  // before each quote found are counted (an odd number escapes it).
  let quote = text.indexOf('"', open + 1);
  while (quote !== -1) {
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before--;
    if ((quote - before) % 2 === 1) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

/** The nesting depth of JSON text (strings skipped), stopping as soon as it passes `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = stringEnd(text, index);
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}

// Integers beyond 2^53 (Python keeps them exact: DLS ids such as 162182994129803994) are read as
// bigint and written back as the same digits, so a service that passes them on does not alter them.
const BIG_PREFIX = `\u0000zocalo:${NONCE}:big:`;
/** `"<prefix>` as JSON writes it, up to the digits. */
const BIG_QUOTED = JSON.stringify(BIG_PREFIX).slice(0, -1);
const BIG_QUOTED_PATTERN = new RegExp(`${escapeRegExp(BIG_QUOTED)}(-?\\d+)"`, 'g');
/**
 * Only a text with a run of 16 digits can hold an integer beyond 2^53. Spelt out, not `\d{16}`:
 * V8 then tests the 16th character first and skips ahead, over twice as fast on digit-dense text.
 */
const LONG_DIGITS = new RegExp('\\d'.repeat(16));

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

function isBigIntError(error: unknown): boolean {
  return error instanceof TypeError && /BigInt/i.test(error.message);
}

/** Serialise a message object for the wire. Throws a clear error for values JSON cannot carry. */
export function encodeBody(message: unknown): string {
  let text: string | undefined;
  let nonFinite = false;
  let big = false;
  try {
    let special = false;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      if (!isBigIntError(error)) throw error;
      special = true;
    }
    // JSON.stringify writes a non-finite number as null and refuses a bigint: only then is the
    // (slower) replacer needed.
    if (special || (text !== undefined && text.includes('null'))) {
      text = JSON.stringify(message, (_key, value: unknown) => {
        if (typeof value === 'bigint') {
          big = true;
          return `${BIG_PREFIX}${value.toString()}`;
        }
        if (typeof value !== 'number' || Number.isFinite(value)) return value;
        nonFinite = true;
        return SENTINEL_OF.get(String(value));
      });
    }
  } catch (error) {
    throw new InvalidArgumentError(
      `message cannot be serialised as JSON (${(error as Error).message}); send plain data, or use rawSend`,
      { cause: error },
    );
  }
  if (text === undefined) {
    throw new InvalidArgumentError(
      `message of type ${typeof message} cannot be serialised as JSON; send plain data, or use rawSend`,
    );
  }
  // Only a text longer than twice the limit can be nested deeper than it: short bodies skip the scan.
  if (text.length > 2 * MAX_BODY_DEPTH && jsonDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    throw new InvalidArgumentError(
      `message is nested more than ${MAX_BODY_DEPTH} levels deep; no Python service could read it ` +
        '(its json module stops near 1000); flatten it, or use rawSend',
    );
  }
  if (big) text = text.replace(BIG_QUOTED_PATTERN, '$1');
  if (nonFinite) {
    // Only whole values: inside a JSON string a quote is always escaped, so `"` preceded by `:`, `[`
    // or `,` (or at the start) opens a value.
    for (const [token, sentinel] of SENTINEL_OF) {
      const quoted = escapeRegExp(JSON.stringify(sentinel));
      text = text.replace(new RegExp(`(^|[:[,])${quoted}`, 'g'), `$1${token}`);
    }
  }
  return text;
}

/**
 * Parse a received body. A body that is not valid JSON is returned as the raw string: it is never
 * dropped and never throws in the consumer loop. Python's NaN, Infinity and -Infinity are read as
 * those numbers, integers beyond 2^53 as bigints.
 */
export function decodeBody(body: string | Buffer): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (!mayHoldSpecialValues(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  const python = parsePythonJson(text);
  return python === undefined ? text : python.value;
}

/**
 * Whether the text may hold a value JSON.parse cannot read as Python does. Native searches, so the
 * common body costs little; a NaN found goes straight to the scan, which costs less than a
 * JSON.parse that fails at the end of a large body.
 */
function mayHoldSpecialValues(text: string): boolean {
  return text.includes('NaN') || text.includes('Infinity') || LONG_DIGITS.test(text);
}

/** A sentinel string back to the number it stands for; any other string as it is. */
function reviveString(value: string): unknown {
  if (value.charCodeAt(0) !== 0) return value;
  if (value.startsWith(BIG_PREFIX)) return BigInt(value.slice(BIG_PREFIX.length));
  return VALUE_OF.get(value) ?? value;
}

/**
 * Our sentinel strings in a parsed value back to the numbers they stand for, in place. A reviver
 * makes JSON.parse about 3x slower on large bodies, and a walk of the result costs a fraction of one
 * parse; the walk keeps a stack of its own, so no nesting JSON.parse accepts overflows it.
 */
function revive(value: unknown): unknown {
  if (typeof value === 'string') return reviveString(value);
  if (typeof value !== 'object' || value === null) return value;
  const pending: object[] = [value];
  for (let container = pending.pop(); container !== undefined; container = pending.pop()) {
    if (Array.isArray(container)) {
      const array: unknown[] = container;
      for (let index = 0; index < array.length; index++) {
        const item = array[index];
        if (typeof item === 'string') {
          if (item.charCodeAt(0) === 0) array[index] = reviveString(item);
        } else if (typeof item === 'object' && item !== null) {
          pending.push(item);
        }
      }
    } else {
      // An own "__proto__" (JSON.parse makes one) is assigned as a plain property, not the prototype.
      const record = container as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const item = record[key];
        if (typeof item === 'string') {
          if (item.charCodeAt(0) === 0) record[key] = reviveString(item);
        } else if (typeof item === 'object' && item !== null) {
          pending.push(item);
        }
      }
    }
  }
  return value;
}

/** Python's tokens as JSON strings of their sentinels, ready to splice into a text. */
const NAN_QUOTED = JSON.stringify(SENTINEL_OF.get('NaN'));
const INFINITY_QUOTED = JSON.stringify(SENTINEL_OF.get('Infinity'));
const MINUS_INFINITY_QUOTED = JSON.stringify(SENTINEL_OF.get('-Infinity'));
/** Marks the last significant character as the end of a value: not a value position. */
const AFTER_VALUE = 0x6e;

/**
 * JSON with Python's non-finite number tokens and integers beyond 2^53 as values (never as keys, as
 * Python's json.loads), or undefined when the text is not that either.
 */
function parsePythonJson(text: string): { value: unknown } | undefined {
  const marked = markSpecialValues(text);
  if (marked === undefined) return undefined;
  try {
    return { value: marked === text ? JSON.parse(text) : revive(JSON.parse(marked)) };
  } catch {
    return undefined;
  }
}

/**
 * The text with Python's NaN, Infinity and -Infinity and each integer beyond 2^53 replaced by
 * sentinel strings (which {@link revive} turns back into numbers); the text itself when it has none;
 * undefined when it cannot be JSON: such a value as a key (Python refuses those too), or a character
 * JSON has no use for outside strings, where the scan stops, so a long non-JSON text costs little.
 * One pass of charCodeAt, strings skipped natively (stringEnd), the text cut once per value marked
 * and joined once: linear, a fraction of a JSON.parse.
 */
function markSpecialValues(text: string): string | undefined {
  let parts: string[] | undefined;
  let from = 0;
  /** The last significant character outside strings; 0 before the first. */
  let previous = 0;
  /** Whether the innermost open container is an array, and the same for those around it. */
  let inArray = false;
  const outer: boolean[] = [];
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    /** Where the literal or number that starts at i ends, and its sentinel if it needs one. */
    let end: number;
    let quoted: string | undefined;
    if ((code >= DIGIT_0 && code <= DIGIT_9) || code === MINUS) {
      if (code === MINUS && text.startsWith('-Infinity', i)) {
        end = i + 9;
        quoted = MINUS_INFINITY_QUOTED;
      } else {
        // A number: digits, with a dot, an exponent or a second sign only in a float.
        let digits = 0;
        let integer = true;
        for (end = code === MINUS ? i + 1 : i; end < length; end++) {
          const next = text.charCodeAt(end);
          if (next >= DIGIT_0 && next <= DIGIT_9) digits++;
          else if (next === DOT || next === 0x65 || next === 0x45 || next === PLUS || next === MINUS) {
            integer = false;
          } else break;
        }
        if (integer && digits >= 16) {
          const token = text.slice(i, end);
          if (!Number.isSafeInteger(Number(token))) quoted = `${BIG_QUOTED}${token}"`;
        }
      }
    } else {
      switch (code) {
        case QUOTE:
          i = stringEnd(text, i);
          previous = QUOTE;
          continue;
        case SPACE:
        case TAB:
        case LINE_FEED:
        case CARRIAGE_RETURN:
          continue;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          outer.push(inArray);
          inArray = code === OPEN_BRACKET;
          previous = code;
          continue;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          inArray = outer.pop() ?? false;
          previous = code;
          continue;
        case COMMA:
        case COLON:
          previous = code;
          continue;
        case 0x4e: // N
          if (!text.startsWith('NaN', i)) return undefined;
          end = i + 3;
          quoted = NAN_QUOTED;
          break;
        case 0x49: // I
          if (!text.startsWith('Infinity', i)) return undefined;
          end = i + 8;
          quoted = INFINITY_QUOTED;
          break;
        case 0x74: // t
          if (!text.startsWith('true', i)) return undefined;
          end = i + 4;
          break;
        case 0x66: // f
          if (!text.startsWith('false', i)) return undefined;
          end = i + 5;
          break;
        case 0x6e: // n
          if (!text.startsWith('null', i)) return undefined;
          end = i + 4;
          break;
        default:
          return undefined;
      }
    }
    if (quoted !== undefined) {
      const valuePosition =
        previous === 0 || previous === COLON || previous === OPEN_BRACKET || (previous === COMMA && inArray);
      if (!valuePosition) return undefined;
      (parts ??= []).push(text.slice(from, i), quoted);
      from = end;
    }
    i = end - 1;
    previous = AFTER_VALUE;
  }
  if (parts === undefined) return text;
  parts.push(text.slice(from));
  return parts.join('');
}

/** The raw body as text, for subscriptions with mangling disabled. */
export function bodyText(body: string | Buffer): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}

/**
 * Whether decoding `bytes` as UTF-8 into `text` replaced invalid bytes by U+FFFD. Costs nothing
 * unless the text holds U+FFFD (V8 knows without looking that a one-byte string does not); then the
 * bytes are checked natively, as a U+FFFD may also have been sent as such.
 */
export function replacedInvalidUtf8(bytes: Buffer, text: string): boolean {
  return text.includes('\uFFFD') && !isUtf8(bytes);
}

/** String.prototype.isWellFormed: ES2024, in Node 20, but not in the ES2023 lib this builds with. */
interface WellFormed {
  isWellFormed(): boolean;
}

/**
 * The index of the first lone surrogate in the text (which UTF-8 cannot encode: Buffer.from and
 * sockets write U+FFFD for it), or -1. Native and free for a one-byte string.
 */
export function loneSurrogateIndex(text: string): number {
  if ((text as unknown as WellFormed).isWellFormed()) return -1;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
      else return index;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return index;
    }
  }
  return -1;
}
