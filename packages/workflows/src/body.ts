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

/** Serialise a message object for the wire. Throws a clear error for values JSON cannot carry. */
export function encodeBody(message: unknown): string {
  let text: string | undefined;
  let nonFinite = false;
  try {
    text = JSON.stringify(message);
    // JSON.stringify writes a non-finite number as null: only then is the (slower) replacer needed.
    if (text !== undefined && text.includes('null')) {
      text = JSON.stringify(message, (_key, value: unknown) => {
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
  if (nonFinite) {
    // Only whole values: inside a JSON string a quote is always escaped, so `"` preceded by `:`, `[`
    // or `,` (or at the start) opens a value.
    for (const [token, sentinel] of SENTINEL_OF) {
      const quoted = JSON.stringify(sentinel).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
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
  try {
    return JSON.parse(text);
  } catch {
    const python = parsePythonJson(text);
    return python === undefined ? text : python.value;
  }
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
      value: JSON.parse(`${out}${text.slice(from)}`, (_key, value: unknown) =>
        typeof value === 'string' ? (VALUE_OF.get(value) ?? value) : value,
      ),
    };
  } catch {
    return undefined;
  }
}

/** The raw body as text, for subscriptions with mangling disabled. */
export function bodyText(body: string | Buffer): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}
