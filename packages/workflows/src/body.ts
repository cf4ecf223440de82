/** JSON "mangling" of message bodies (wire-format.md, "Bodies"). */
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

/** The index of the quote that closes the JSON string opened at `open` (or the text's length). */
function stringEnd(text: string, open: number): number {
  let index = open + 1;
  for (; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === BACKSLASH) index++;
    else if (code === QUOTE) break;
  }
  return index;
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
/** Only a text with a run of 16 digits can hold an integer beyond 2^53. */
const LONG_DIGITS = /\d{16}/;

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
 * those numbers.
 */
export function decodeBody(body: string | Buffer): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const marked = LONG_DIGITS.test(text) ? markBigIntegers(text) : undefined;
  try {
    return marked === undefined ? JSON.parse(text) : JSON.parse(marked, revive);
  } catch {
    const python = parsePythonJson(marked ?? text);
    return python === undefined ? text : python.value;
  }
}

/** Our sentinel strings back to the numbers they stand for. */
function revive(_key: string, value: unknown): unknown {
  if (typeof value !== 'string' || value.charCodeAt(0) !== 0) return value;
  if (value.startsWith(BIG_PREFIX)) return BigInt(value.slice(BIG_PREFIX.length));
  return VALUE_OF.get(value) ?? value;
}

/** Characters that may stand outside strings in JSON, besides the letters of its literals. */
const JSON_PUNCTUATION = /[\s{}[\],:0-9+\-.]/;
const LITERALS = ['true', 'false', 'null'] as const;

/**
 * JSON with Python's non-finite number tokens as values (never as keys, as Python's json.loads), or
 * undefined when the text is not that either. Only reached for text that JSON.parse refused; it stops
 * at the first character that cannot be JSON, so a long non-JSON text costs little.
 */
function parsePythonJson(text: string): { value: unknown } | undefined {
  if (!/NaN|Infinity/.test(text)) return undefined;
  let out = '';
  let from = 0;
  let inString = false;
  let previous = ''; // the last significant character outside strings
  const containers: string[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') {
      inString = true;
      previous = char;
      continue;
    }
    if (char === '{' || char === '[') containers.push(char);
    else if (char === '}' || char === ']') containers.pop();
    const token = NON_FINITE.find(([name]) => text.startsWith(name, i))?.[0];
    if (token !== undefined) {
      const inArray = containers[containers.length - 1] === '[';
      const valuePosition =
        previous === '' || previous === ':' || previous === '[' || (previous === ',' && inArray);
      if (!valuePosition) return undefined;
      out += `${text.slice(from, i)}${JSON.stringify(SENTINEL_OF.get(token))}`;
      i += token.length - 1;
      from = i + 1;
      previous = 'n';
      continue;
    }
    const literal = LITERALS.find((name) => text.startsWith(name, i));
    if (literal !== undefined) {
      i += literal.length - 1;
      previous = 'n';
      continue;
    }
    // An exponent's e/E follows a digit or a dot; any other letter is not JSON.
    const exponent = (char === 'e' || char === 'E') && /[0-9.]/.test(text[i - 1] ?? '');
    if (!exponent && !JSON_PUNCTUATION.test(char)) return undefined;
    if (!/\s/.test(char)) previous = char;
  }
  try {
    return {
      value: JSON.parse(`${out}${text.slice(from)}`, revive),
    };
  } catch {
    return undefined;
  }
}

/**
 * The text with each integer beyond 2^53 outside strings replaced by a sentinel string (which
 * {@link revive} turns into a bigint), or undefined when it has none.
 */
function markBigIntegers(text: string): string | undefined {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (!(code >= 0x30 && code <= 0x39) && code !== 0x2d) continue;
    let end = i + 1;
    while (end < text.length && /[0-9eE.+-]/.test(text[end])) end += 1;
    const token = text.slice(i, end);
    if (/^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
      out += `${text.slice(from, i)}${BIG_QUOTED}${token}"`;
      from = end;
    }
    i = end - 1;
  }
  return from === 0 ? undefined : `${out}${text.slice(from)}`;
}

/** The raw body as text, for subscriptions with mangling disabled. */
export function bodyText(body: string | Buffer): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}
