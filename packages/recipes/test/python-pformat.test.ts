/**
 * `pformat` against CPython 3.11's `pprint.pformat` of the same values: the fixture holds each value
 * and what Python printed (made with `python3 -c 'import pprint; ...'`; `test/fixtures/README.md`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBody } from '@zocalo/workflows';
import { pformat, safeRepr } from '../src/python-pformat';

interface Case {
  readonly value: unknown;
  readonly pformat: string;
}

// decodeBody reads Python's NaN and integers beyond 2^53 as Python wrote them.
const CASES = decodeBody(readFileSync(join(__dirname, 'fixtures', 'pformat-cases.json'), 'utf8')) as Case[];

describe('pformat: as Python’s pprint.pformat', () => {
  it.each(CASES.map((item, index) => [index, item] as const))(
    'case %i',
    (_index, { value, pformat: python }) => {
      expect(pformat(value)).toBe(python);
    },
  );

  it('sorts keys by code point also where the repr fits on the line', () => {
    expect(safeRepr({ b: 1, a: { d: 2, c: 3 } })).toBe("{'a': {'c': 3, 'd': 2}, 'b': 1}");
    expect(pformat({ '\u{1F600}': 1, '\uff21': 2 })).toBe("{'\uff21': 2, '\u{1F600}': 1}");
  });
});
