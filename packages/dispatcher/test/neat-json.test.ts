import { neatJson } from '../src';

describe('neatJson', () => {
  it('writes what Python json.dumps(sort_keys=True, indent=2, separators=(",", ": ")) writes', () => {
    const value = {
      b: [1, 2.5, { z: null, a: true }],
      a: {},
      '10': 'x',
      '2': [],
      é: 'ünï €😀',
      nested: { k: 'v' },
    };
    // Printed by CPython 3.11 for the same object.
    const python = [
      '{',
      '  "10": "x",',
      '  "2": [],',
      '  "a": {},',
      '  "b": [',
      '    1,',
      '    2.5,',
      '    {',
      '      "a": true,',
      '      "z": null',
      '    }',
      '  ],',
      '  "nested": {',
      '    "k": "v"',
      '  },',
      '  "\\u00e9": "\\u00fcn\\u00ef \\u20ac\\ud83d\\ude00"',
      '}',
    ].join('\n');
    expect(neatJson(value)).toBe(python);
  });

  it('writes values JSON cannot hold as text (default=str) and leaves out undefined members', () => {
    expect(neatJson({ when: new Date(0), skip: undefined, n: NaN })).toBe(
      `{\n  "n": NaN,\n  "when": "1970-01-01T00:00:00.000Z"\n}`,
    );
    expect(neatJson(new Map([[1, 'one']]))).toBe('{\n  "1": "one"\n}');
    expect(neatJson(undefined)).toBe('null');
  });
});
