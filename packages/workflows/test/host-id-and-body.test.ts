import {
  MAX_BODY_DEPTH,
  decodeBody,
  encodeBody,
  InvalidArgumentError,
  jsonDepth,
  temporaryQueueName,
  uniqueHostId,
} from '../src';

describe('unique host id and temporary queue names', () => {
  it('reverses the host name parts and appends the pid', () => {
    expect(uniqueHostId('ws123.diamond.ac.uk', 4711)).toBe('uk.ac.diamond.ws123.4711');
    expect(uniqueHostId('localhost', 1)).toBe('localhost.1');
  });

  it('prefixes transient. once', () => {
    expect(temporaryQueueName('reply')).toMatch(/^transient\.reply\.[0-9a-f-]{36}$/);
    expect(temporaryQueueName('transient.x')).toMatch(/^transient\.x\.[0-9a-f-]{36}$/);
    expect(temporaryQueueName()).toMatch(new RegExp(`^transient\\..*\\.${process.pid}\\.[0-9a-f-]{36}$`));
  });
});

describe('body mangling', () => {
  it('parses JSON and falls back to the raw text', () => {
    expect(decodeBody('{"a":1}')).toEqual({ a: 1 });
    expect(decodeBody(Buffer.from('[1,2]'))).toEqual([1, 2]);
    expect(decodeBody('not json')).toBe('not json');
    expect(decodeBody('')).toBe('');
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => encodeBody(() => 1)).toThrow(InvalidArgumentError);
    expect(() => encodeBody(Symbol('s'))).toThrow(InvalidArgumentError);
    expect(encodeBody({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it(`refuses a body nested more than ${MAX_BODY_DEPTH} levels deep (no Python service could read it)`, () => {
    const nested = (depth: number): unknown => {
      let value: unknown = 'leaf';
      for (let level = 0; level < depth; level++) value = level % 2 ? [value] : { k: value };
      return value;
    };
    expect(() => encodeBody(nested(MAX_BODY_DEPTH))).not.toThrow();
    expect(() => encodeBody(nested(MAX_BODY_DEPTH + 1))).toThrow(/nested more than 512 levels/);
    expect(() => encodeBody(nested(MAX_BODY_DEPTH + 1))).toThrow(InvalidArgumentError);
    // Brackets inside strings are text, not nesting.
    expect(encodeBody({ s: '['.repeat(5000) })).toBe(`{"s":"${'['.repeat(5000)}"}`);
    expect(jsonDepth('{"a":"\\"[[[","b":[[1]]}')).toBe(3);
  });

  it('reads integers beyond 2^53 as exact bigints and writes them back as the same digits, as Python', () => {
    const text =
      '{"dcid": 162182994129803994, "n": [-9007199254740993, 9007199254740991], "s": "99999999999999999", "x": NaN}';
    const value = decodeBody(text) as { dcid: unknown; n: unknown[]; s: unknown; x: unknown };
    expect(value.dcid).toBe(162182994129803994n);
    expect(value.n).toEqual([-9007199254740993n, 9007199254740991]);
    expect(value.s).toBe('99999999999999999');
    expect(value.x).toBeNaN();
    expect(encodeBody(value)).toBe(
      '{"dcid":162182994129803994,"n":[-9007199254740993,9007199254740991],"s":"99999999999999999","x":NaN}',
    );
    expect(encodeBody({ a: 2n ** 80n })).toBe('{"a":1208925819614629174706176}');
    // Floats keep their form; only integer tokens become bigints.
    expect(decodeBody('[1.5e300, 12345678901234567.5]')).toEqual([1.5e300, Number('12345678901234567.5')]);
  });

  it("reads and writes non-finite numbers as Python's json does (NaN, Infinity, -Infinity)", () => {
    // json.dumps({"r": float("nan"), "lo": float("-inf"), "s": "NaN Infinity", "l": [float("inf")]})
    const python = '{"r": NaN, "lo": -Infinity, "s": "NaN \\"Infinity", "l": [Infinity]}';
    expect(decodeBody(python)).toEqual({ r: NaN, lo: -Infinity, s: 'NaN "Infinity', l: [Infinity] });
    const text = encodeBody({ r: NaN, lo: -Infinity, s: 'NaN', l: [Infinity, 1] });
    expect(text).toBe('{"r":NaN,"lo":-Infinity,"s":"NaN","l":[Infinity,1]}');
    expect(decodeBody(text)).toEqual({ r: NaN, lo: -Infinity, s: 'NaN', l: [Infinity, 1] });
    expect(encodeBody(NaN)).toBe('NaN');
    expect(encodeBody({ a: null, s: 'null', n: NaN })).toBe('{"a":null,"s":"null","n":NaN}');
    expect(encodeBody({ a: null, s: 'null' })).toBe('{"a":null,"s":"null"}');
    // Still not JSON: the raw text, as before; and strings that look like the tokens stay strings.
    expect(decodeBody('{"r": NaN,}')).toBe('{"r": NaN,}');
    expect(decodeBody('NaNa')).toBe('NaNa');
    expect(decodeBody('{"toString": "x", "n": NaN}')).toEqual({ toString: 'x', n: NaN });
    expect(decodeBody('{"a": {"b": [1e5, -Infinity, "\\u0041\\\\", true, null]}, "c": NaN}')).toEqual({
      a: { b: [1e5, -Infinity, 'A\\', true, null] },
      c: NaN,
    });
    // Python refuses them as keys too; and text that is not JSON stays text, found out early.
    expect(decodeBody('{NaN: 1}')).toBe('{NaN: 1}');
    expect(decodeBody('{"a": 1, NaN: 2}')).toBe('{"a": 1, NaN: 2}');
    const log = `[INFO] value NaN ${'x'.repeat(1_000_000)}`;
    expect(decodeBody(log)).toBe(log);
    // A string that holds what a sentinel would look like is not turned into a number on the way out.
    expect(decodeBody(encodeBody({ s: '", NaN, "', n: NaN }))).toEqual({ s: '", NaN, "', n: NaN });
  });

  it('does not let __proto__ in a body pollute objects', () => {
    const parsed = decodeBody('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(parsed, '__proto__')).toBe(true);
  });
});
