/**
 * `json.dumps(value)` as Python writes it with its defaults, which is what python-zocalo's JSONLines
 * puts on each line: `", "` and `": "` between items, every character outside printable ASCII escaped
 * (`ensure_ascii`: `\u00e9`, a surrogate pair for one beyond the BMP), floats as Python's `repr`
 * (`1e-07`, `1e+22`), NaN and infinities as the bare `NaN`, `Infinity`, `-Infinity`, integers of any
 * size in full, keys in the order they came.
 *
 * What cannot be told from decoded JSON: a float with a whole value (`2.0`, `1e22` in the message) has
 * become a JavaScript integer and is written as one (`2`); and an object's keys that are whole numbers
 * (`"2"`) come first, in numeric order, as JavaScript objects keep them.
 */
import { pyFloatRepr, pyIntText } from '@zocalo/recipes';

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A string as `json.dumps` writes it: UTF-16 code units outside ' '..'~' as `\uXXXX`. */
function quote(text: string): string {
  let out = '"';
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    const code = text.charCodeAt(index);
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return Number.isInteger(value) ? pyIntText(value) : pyFloatRepr(value);
}

/** `json.dumps(value)` of JSON data (as decoded from a message), exactly as Python writes it. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') return number(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const items = Object.entries(value as Record<string, unknown>).map(
    ([key, item]) => `${quote(key)}: ${pythonJsonDumps(item)}`,
  );
  return `{${items.join(', ')}}`;
}
