/**
 * Python's `json` (`python-json.ts`): what python-zocalo's files and lines hold, byte for byte. The
 * expected texts are what CPython 3.11's `json.dumps` prints for the same values.
 */
import { PyFloat, PyJsonError, fromPlain, pyDumps, pyJsonFloat, pyLoads, toPlain } from '../src';

describe("Python's json", () => {
  it('keeps ints and floats apart, both ways', () => {
    const value = pyLoads('{"a": 1, "b": 1.0, "c": 12345678901234567890, "d": 1e-7, "e": [NaN, Infinity]}');
    expect(pyDumps(value)).toBe(
      '{"a": 1, "b": 1.0, "c": 12345678901234567890, "d": 1e-07, "e": [NaN, Infinity]}',
    );
    expect((value as Map<string, unknown>).get('b')).toEqual(new PyFloat(1));
    expect(toPlain(value)).toEqual({ a: 1, b: 1, c: 12345678901234567000, d: 1e-7, e: [NaN, Infinity] });
  });

  it('writes indent=2, sort_keys=True as python-zocalo writes its dead-letter files', () => {
    const value = fromPlain({ é: 'naïve', b: [1, 2.5], a: { z: null, '😀': true }, B: [] });
    expect(pyDumps(value, { indent: 2, sortKeys: true })).toBe(
      [
        '{',
        '  "B": [],',
        '  "a": {',
        '    "z": null,',
        '    "\\ud83d\\ude00": true',
        '  },',
        '  "b": [',
        '    1,',
        '    2.5',
        '  ],',
        '  "\\u00e9": "na\\u00efve"',
        '}',
      ].join('\n'),
    );
  });

  it("writes floats as json.dumps does (repr, but NaN and Infinity as JSON's words)", () => {
    expect([1e22, 1e16, 123456789012345.6, 0.0001, -0, NaN, -Infinity].map(pyJsonFloat)).toEqual([
      '1e+22',
      '1e+16',
      '123456789012345.6',
      '0.0001',
      '-0.0',
      'NaN',
      '-Infinity',
    ]);
  });

  it('refuses text that is not JSON with a PyJsonError', () => {
    expect(() => pyLoads('{"a": }')).toThrow(PyJsonError);
    expect(() => pyLoads('{"a": }')).toThrow(expect.objectContaining({ code: 'ZOCALO_PYTHON_JSON' }));
  });
});
