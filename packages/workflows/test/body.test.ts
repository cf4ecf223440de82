/**
 * decodeBody on what Python's json module writes beyond JSON: the tokens NaN, Infinity and -Infinity
 * (values only, never keys, as json.loads), and integers beyond 2^53 kept exact; and text that is
 * neither, returned as it is.
 */
import { decodeBody, encodeBody } from '../src';

describe("decodeBody: Python's NaN, Infinity and -Infinity", () => {
  it('reads them at the top level, in arrays and in nested objects', () => {
    expect(decodeBody('NaN')).toBeNaN();
    expect(decodeBody(' -Infinity\n')).toBe(-Infinity);
    expect(decodeBody('[NaN, 1, NaN]')).toEqual([NaN, 1, NaN]);
    expect(decodeBody('[[NaN],[Infinity,[-Infinity]],{"a":[NaN]}]')).toEqual([
      [NaN],
      [Infinity, [-Infinity]],
      { a: [NaN] },
    ]);
    expect(decodeBody('{ "a" :\t{"b": {"c": NaN, "d": [1, {"e": -Infinity}]}},\r\n"f": Infinity }')).toEqual({
      a: { b: { c: NaN, d: [1, { e: -Infinity }] } },
      f: Infinity,
    });
    expect(decodeBody(Buffer.from('{"r": NaN}'))).toEqual({ r: NaN });
  });

  it('leaves them as text inside strings, also next to escaped quotes and backslashes', () => {
    expect(decodeBody('{"s": "NaN", "t": "x Infinity -Infinity", "n": NaN}')).toEqual({
      s: 'NaN',
      t: 'x Infinity -Infinity',
      n: NaN,
    });
    expect(decodeBody('["\\"NaN", "a\\\\", NaN, "\\\\\\"Infinity\\"", -Infinity]')).toEqual([
      '"NaN',
      'a\\',
      NaN,
      '\\"Infinity"',
      -Infinity,
    ]);
    // Only in strings: plain JSON.
    expect(decodeBody('{"NaN": "Infinity"}')).toEqual({ NaN: 'Infinity' });
  });

  it('refuses them as keys, as Python does: the body stays text', () => {
    for (const text of [
      '{NaN: 1}',
      '{"a": 1, NaN: 2}',
      '{"a": {Infinity: 1}}',
      '{-Infinity: 1}',
      '[{"a": 1}, {NaN: 2}]',
    ]) {
      expect(decodeBody(text)).toBe(text);
    }
  });

  it('reads -Infinity only as one token, and nothing that merely looks like one', () => {
    expect(decodeBody('[-Infinity, 1]')).toEqual([-Infinity, 1]);
    for (const text of ['-NaN', '--Infinity', '[1 NaN]', '[NaN NaN]', '[NaNa]', '[Inf]', '[nan]', 'NaN,']) {
      expect(decodeBody(text)).toBe(text);
    }
  });

  it('reads exponent numbers beside them, and refuses a stray letter e', () => {
    expect(decodeBody('[1e5, 1E-5, -2.5e+3, 0.5E3, NaN]')).toEqual([1e5, 1e-5, -2.5e3, 500, NaN]);
    for (const text of ['[e5, NaN]', '[1, e, NaN]', '[1.e5, NaN]', '[.5, NaN]', '[+1, NaN]']) {
      expect(decodeBody(text)).toBe(text);
    }
  });

  it('keeps integers beyond 2^53 exact beside them, and refuses such an integer as a key', () => {
    const value = decodeBody('{"dcid": 162182994129803994, "x": NaN, "n": [-9007199254740993, Infinity]}');
    expect(value).toEqual({ dcid: 162182994129803994n, x: NaN, n: [-9007199254740993n, Infinity] });
    expect(encodeBody(value)).toBe('{"dcid":162182994129803994,"x":NaN,"n":[-9007199254740993,Infinity]}');
    // Floats stay floats, however many digits they have.
    expect(decodeBody('[NaN, 12345678901234567.5, 1234567890123456789e2]')).toEqual([
      NaN,
      Number('12345678901234567.5'),
      Number('1234567890123456789e2'),
    ]);
    // JSON.parse would read the sentinel standing for the number as a key; Python refuses the text.
    expect(decodeBody('{12345678901234567: 1}')).toBe('{12345678901234567: 1}');
    expect(decodeBody('{"a": NaN, 12345678901234567: 1}')).toBe('{"a": NaN, 12345678901234567: 1}');
  });

  it('keeps __proto__ an own property and reads bodies nested deeper than a reviver could', () => {
    const parsed = decodeBody('{"__proto__": NaN, "o": {"__proto__": {"x": Infinity}}}') as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBeNaN();
    expect(Object.getOwnPropertyDescriptor(parsed.o, '__proto__')?.value).toEqual({ x: Infinity });
    const depth = 10_000;
    let deep = decodeBody(`${'['.repeat(depth)}NaN${']'.repeat(depth)}`);
    for (let level = 0; level < depth; level++) deep = (deep as unknown[])[0];
    expect(deep).toBeNaN();
  });

  it('returns a huge text that is not JSON as it is', () => {
    const log = `{"level": "INFO", "mean": NaN, then plain text ${'x'.repeat(20_000_000)}`;
    expect(decodeBody(log)).toBe(log);
    const numbers = `[NaN, 12345678901234567, ${'1, '.repeat(5_000_000)}oops]`;
    expect(decodeBody(numbers)).toBe(numbers);
    const unclosed = `["NaN ${'y'.repeat(1_000_000)}`;
    expect(decodeBody(unclosed)).toBe(unclosed);
    // Whitespace JSON does not allow (a no-break space) is not JSON either.
    expect(decodeBody('[NaN,\u00a01]')).toBe('[NaN,\u00a01]');
  });

  it('reads back what a Python service writes, for random values (seeded)', () => {
    let seed = 13;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const leaves: readonly unknown[] = [
      NaN,
      Infinity,
      -Infinity,
      0,
      -1.5e-7,
      2 ** 53 - 1,
      162182994129803994n,
      -(2n ** 70n),
      'NaN',
      '"Infinity"',
      '\\',
      'a, -Infinity: b',
      true,
      false,
      null,
    ];
    const make = (depth: number): unknown => {
      const kind = depth > 3 ? 0 : Math.floor(random() * 3);
      if (kind === 0) return pick(leaves);
      const items = Array.from({ length: Math.floor(random() * 4) }, () => make(depth + 1));
      if (kind === 1) return items;
      return Object.fromEntries(items.map((item, index) => [pick(['NaN', 'k', '"', `k${index}`]), item]));
    };
    // json.dumps' layout: ", " and ": " between items, the tokens and digits bare.
    const python = (value: unknown): string => {
      if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
      if (typeof value === 'bigint') return value.toString();
      if (Array.isArray(value)) return `[${value.map(python).join(', ')}]`;
      if (value !== null && typeof value === 'object') {
        const entries = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${python(item)}`);
        return `{${entries.join(', ')}}`;
      }
      return JSON.stringify(value);
    };
    for (let run = 0; run < 500; run++) {
      const value = make(0);
      expect(decodeBody(python(value))).toEqual(value);
      expect(decodeBody(encodeBody(value))).toEqual(value);
    }
  });
});
