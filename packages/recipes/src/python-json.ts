/**
 * JSON as Python's `json` module reads and writes it, so that a file we write is byte for byte the one
 * python-zocalo writes (`json.dump(..., indent=2, sort_keys=True)`: the dead-letter files) and a line
 * or a message we write is what python-zocalo would write (`json.dumps(message)`: JSONLines, reinjected
 * messages). The one implementation for every package (Schlockmeister and JSONLines use it).
 *
 * Python tells integers from floats (`1` and `1.0` are different values, written differently), keeps
 * integers of any size, escapes every character outside printable ASCII (`ensure_ascii`) and sorts keys
 * by code point. JavaScript's `JSON` does none of that, hence this module: {@link pyLoads} keeps
 * integers and floats apart ({@link PyFloat}), {@link pyDumps} writes them as Python does.
 */

import { PyJsonError } from './errors';
import { compareCodePoints, pyFloatRepr, pyIntText } from './python-repr';

/** A Python `float` (a JavaScript number that Python holds as a float, e.g. `1.0`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A value as Python's `json` holds it: int as number (or bigint past 2^53), float as PyFloat, dict as Map. */
export type PyValue = null | boolean | string | number | bigint | PyFloat | PyValue[] | PyDict;
export type PyDict = Map<string, PyValue>;

/**
 * A float as `json.dumps` writes it: Python's `repr(float)` (the shortest round-trip digits, exponent
 * form below 1e-4 and from 1e16 on), but `NaN`, `Infinity` and `-Infinity` where repr writes `nan`
 * and `inf` (see `pyFloatRepr`).
 */
export function pyJsonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return pyFloatRepr(value);
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A string as `json.dumps` writes it with `ensure_ascii`: UTF-16 code units outside ' '..'~' as \uXXXX. */
export function pyString(text: string): string {
  let out = '"';
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    const code = text.charCodeAt(index);
    if (SHORT_ESCAPES[char] !== undefined) out += SHORT_ESCAPES[char];
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

export interface PyDumpsOptions {
  /** `indent=`: items on their own lines, `,` and `: ` between; without it `, ` and `: ` on one line. */
  readonly indent?: number;
  readonly sortKeys?: boolean;
}

/** `json.dumps(value, indent=..., sort_keys=...)` as Python writes it (`ensure_ascii` on, no final newline). */
export function pyDumps(value: PyValue, options: PyDumpsOptions = {}): string {
  const indent = options.indent;
  const write = (item: PyValue, level: number): string => {
    if (item === null) return 'null';
    if (typeof item === 'boolean') return item ? 'true' : 'false';
    if (typeof item === 'string') return pyString(item);
    if (typeof item === 'bigint') return item.toString();
    if (typeof item === 'number') return Number.isInteger(item) ? pyIntText(item) : pyJsonFloat(item);
    if (item instanceof PyFloat) return pyJsonFloat(item.value);
    const entries: Array<[string | undefined, PyValue]> = Array.isArray(item)
      ? item.map((element): [undefined, PyValue] => [undefined, element])
      : [...item.entries()];
    const [open, close] = Array.isArray(item) ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) return `${open}${close}`;
    if (!Array.isArray(item) && options.sortKeys) {
      entries.sort(([a], [b]) => compareCodePoints(a ?? '', b ?? ''));
    }
    const parts = entries.map(([key, element]) =>
      key === undefined ? write(element, level + 1) : `${pyString(key)}: ${write(element, level + 1)}`,
    );
    if (indent === undefined) return `${open}${parts.join(', ')}${close}`;
    const inner = `\n${' '.repeat(indent * (level + 1))}`;
    return `${open}${inner}${parts.join(`,${inner}`)}\n${' '.repeat(indent * level)}${close}`;
  };
  return write(value, 0);
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;
const CONSTANTS: ReadonlyArray<readonly [string, PyValue]> = [
  ['true', true],
  ['false', false],
  ['null', null],
  ['NaN', new PyFloat(NaN)],
  ['Infinity', new PyFloat(Infinity)],
  ['-Infinity', new PyFloat(-Infinity)],
];

/**
 * `json.loads(text)`: integers as numbers (bigint past 2^53), other numbers as {@link PyFloat}, objects as
 * Maps (a repeated key keeps its first place and its last value), and Python's `NaN`, `Infinity`,
 * `-Infinity`. Throws {@link PyJsonError} for anything else.
 */
export function pyLoads(text: string): PyValue {
  let position = 0;
  const fail = (what: string): never => {
    throw new PyJsonError(`${what} at character ${position}`);
  };
  const skip = (): void => {
    WHITESPACE.lastIndex = position;
    WHITESPACE.exec(text);
    position = WHITESPACE.lastIndex;
  };
  const string = (): string => {
    position += 1;
    let out = '';
    for (;;) {
      if (position >= text.length) fail('unterminated string');
      const char = text[position];
      if (char === '"') {
        position += 1;
        return out;
      }
      if (char.charCodeAt(0) < 0x20) fail('invalid control character');
      if (char !== '\\') {
        out += char;
        position += 1;
        continue;
      }
      const escape = text[position + 1];
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (escape === 'u') {
        const hex = text.slice(position + 2, position + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\uXXXX escape');
        out += String.fromCharCode(parseInt(hex, 16));
        position += 6;
      } else if (escape !== undefined && simple[escape] !== undefined) {
        out += simple[escape];
        position += 2;
      } else {
        fail('invalid escape');
      }
    }
  };
  const value = (): PyValue => {
    skip();
    const char = text[position];
    if (char === '"') return string();
    if (char === '{') {
      position += 1;
      const dict: PyDict = new Map();
      skip();
      if (text[position] === '}') {
        position += 1;
        return dict;
      }
      for (;;) {
        skip();
        if (text[position] !== '"') fail('expected a property name');
        const key = string();
        skip();
        if (text[position] !== ':') fail("expected ':'");
        position += 1;
        dict.set(key, value());
        skip();
        if (text[position] === ',') {
          position += 1;
          continue;
        }
        if (text[position] === '}') {
          position += 1;
          return dict;
        }
        fail("expected ',' or '}'");
      }
    }
    if (char === '[') {
      position += 1;
      const list: PyValue[] = [];
      skip();
      if (text[position] === ']') {
        position += 1;
        return list;
      }
      for (;;) {
        list.push(value());
        skip();
        if (text[position] === ',') {
          position += 1;
          continue;
        }
        if (text[position] === ']') {
          position += 1;
          return list;
        }
        fail("expected ',' or ']'");
      }
    }
    for (const [word, constant] of CONSTANTS) {
      if (text.startsWith(word, position)) {
        position += word.length;
        return constant;
      }
    }
    NUMBER.lastIndex = position;
    const match = NUMBER.exec(text);
    if (!match) return fail('expected a value');
    position = NUMBER.lastIndex;
    if (match[1] !== undefined || match[2] !== undefined) return new PyFloat(Number(match[0]));
    const integer = Number(match[0]);
    return Number.isSafeInteger(integer) ? integer : BigInt(match[0]);
  };
  const result = value();
  skip();
  if (position !== text.length) fail('extra data');
  return result;
}

/**
 * A plain JavaScript value (what `JSON.parse` and the transports give) as Python would hold it: objects
 * as dicts, integral numbers as ints, others as floats; `undefined` entries are left out.
 */
export function fromPlain(value: unknown): PyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string' || typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value : new PyFloat(value);
  if (value instanceof PyFloat || value instanceof Map) return value as PyValue;
  if (Array.isArray(value)) return value.map(fromPlain);
  const dict: PyDict = new Map();
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item !== undefined) dict.set(key, fromPlain(item));
  }
  return dict;
}

/** A Python value as plain JavaScript data (floats and big ints as numbers, dicts as null-prototype records). */
export function toPlain(value: PyValue): unknown {
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) {
    const record: Record<string, unknown> = {};
    for (const [key, item] of value) {
      Object.defineProperty(record, key, {
        value: toPlain(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return record;
  }
  return value;
}
