import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecipeParameterError, applyParametersTo } from '../src';
import { FormatSpecError, MAX_WIDTH_AND_PRECISION, formatValue } from '../src/python-format-spec';

const FOLDER = join(__dirname, 'vectors', 'format');
const GENERATOR = join(FOLDER, 'generate.py');

type Value = { int: string } | { float: string } | { str: string };
interface Case {
  readonly value: Value;
  readonly spec: string;
  readonly text?: string;
  readonly length?: number;
  readonly sha256?: string;
  readonly error?: string;
}
interface Cases {
  readonly python: string;
  readonly cases: readonly Case[];
}

// What CPython's format(value, spec) gives, written by generate.py (see its header).
const fixture = JSON.parse(readFileSync(join(FOLDER, 'cases.json'), 'utf8')) as Cases;

/** The values the port may hold for a case: an int as a bigint (beyond 2^53 it always is) and, when exact, as a number. */
function values(value: Value): Array<number | bigint | string> {
  if ('str' in value) return [value.str];
  if ('float' in value) {
    const text = value.float;
    return [text === 'inf' ? Infinity : text === '-inf' ? -Infinity : text === 'nan' ? NaN : Number(text)];
  }
  const big = BigInt(value.int);
  return Number.isSafeInteger(Number(big)) ? [big, Number(big)] : [big];
}

function outcome(value: unknown, spec: string): Omit<Case, 'value' | 'spec'> {
  let text: string;
  try {
    text = formatValue(value, spec);
  } catch (error) {
    if (!(error instanceof FormatSpecError)) throw error;
    return { error: error.message };
  }
  if (text.length <= 200) return { text };
  return {
    length: [...text].length,
    sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
  };
}

const rows = fixture.cases.flatMap((entry) =>
  values(entry.value).map((value) => [typeof value, entry.value, entry.spec, entry] as const),
);

describe('format(value, spec) as CPython gives it', () => {
  it.each(rows)('%s %j with spec %j', (kind, raw, spec, entry) => {
    const value = values(raw).find((candidate) => typeof candidate === kind);
    const { value: _value, spec: _spec, ...expected } = entry;
    expect(outcome(value, spec)).toEqual(expected);
  });

  const python = spawnSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
  });
  const sameVersion = python.status === 0 && python.stdout.trim() === fixture.python;
  // The table is checked in (CI need not have Python); where the same Python is at hand, it is
  // asked again, so the table cannot drift from what Python does.
  (sameVersion ? it : it.skip)(`the table is what python${fixture.python} says today`, () => {
    const fresh = spawnSync('python3', [GENERATOR], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(fresh.status).toBe(0);
    expect(JSON.parse(fresh.stdout)).toEqual(fixture);
  });
});

describe('format spec limits', () => {
  it('pads with grouped zeros in time linear in the width (once quadratic)', () => {
    const started = performance.now();
    let text = '';
    for (let round = 0; round < 20; round++) text = formatValue(5, `0${MAX_WIDTH_AND_PRECISION},`);
    const elapsed = performance.now() - started;
    // Python: a group is never empty, so 10000 digits of room become "0," and 9999 more characters
    expect(text).toHaveLength(MAX_WIDTH_AND_PRECISION + 1);
    expect(text).toBe(`0,${'000,'.repeat(2499)}005`);
    // 20 rounds took about 5 s when each added one zero and grouped again; now about 10 ms
    expect(elapsed).toBeLessThan(3000);
  });

  it.each([
    ['0400000,', 'Width 400000'],
    [`0${MAX_WIDTH_AND_PRECISION + 1}`, `Width ${MAX_WIDTH_AND_PRECISION + 1}`],
    ['099999999999999999999', 'Width 100000000000000000000'],
    [`.${MAX_WIDTH_AND_PRECISION + 1}f`, `Precision ${MAX_WIDTH_AND_PRECISION + 1}`],
  ])('refuses %j at once with a clear error', (spec, what) => {
    const started = performance.now();
    expect(() => formatValue(5, spec)).toThrow(FormatSpecError);
    expect(() => formatValue(5, spec)).toThrow(
      `${what} in format spec '${spec}' is more than 10000, the most a recipe parameter may ask for`,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('says so through applyParameters, as a RecipeParameterError', () => {
    let thrown: unknown;
    try {
      applyParametersTo('image_{n:0400000,}.cbf', { n: 5 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RecipeParameterError);
    // no hint about literal braces: the spec is well formed, only too large
    expect((thrown as Error).message).toBe(
      'Invalid recipe parameters: cannot fill in "image_{n:0400000,}.cbf": Width 400000 in format spec ' +
        "'0400000,' is more than 10000, the most a recipe parameter may ask for (MAX_WIDTH_AND_PRECISION); " +
        'use a smaller width',
    );
  });

  it('formats a bigint parameter (an integer beyond 2^53, decoded exactly) with every integer spec', () => {
    const parameters = { dcid: 162182994129803994n };
    expect(applyParametersTo('{dcid:d} {dcid:,} {dcid:x} {dcid:>20}', parameters)).toBe(
      '162182994129803994 162,182,994,129,803,994 2403092e9b75ada   162182994129803994',
    );
    expect(applyParametersTo('{dcid:.3e}', parameters)).toBe('1.622e+17');
  });
});
