/**
 * tsup builds this package twice (dist/index.js and dist/index.cjs); a process whose dependencies
 * import one and require the other holds two copies of every error class. An error made by either
 * copy must be recognised by the other as by its own: by `instanceof` and by `isZocaloError`. Runs
 * the built output (`pnpm build` first, as CI does) in a child process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ZOCALO_ERROR_CODES } from '../src';

const PACKAGE = join(__dirname, '..');

interface Report {
  readonly names: readonly string[];
  readonly recognised: number;
  readonly mismatches: readonly string[];
  readonly facts: Readonly<Record<string, boolean | string>>;
}

function crossCopy(): Report {
  for (const build of ['index.js', 'index.cjs']) {
    if (!existsSync(join(PACKAGE, 'dist', build)))
      throw new Error(`dist/${build} is missing: run pnpm build first`);
  }
  const result = spawnSync(process.execPath, [join(__dirname, 'fixtures', 'cross-copy.mjs'), PACKAGE], {
    encoding: 'utf8',
    timeout: 20000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

describe('errors across the ESM and CJS builds in one process', () => {
  let report: Report;
  beforeAll(() => {
    report = crossCopy();
  });

  it('covers every error class of the built package', () => {
    expect(report.names).toEqual(Object.keys(ZOCALO_ERROR_CODES));
  });

  it('recognises each copy’s errors in the other as in its own, by instanceof and by code', () => {
    expect(report.mismatches).toEqual([]);
    // Each class recognises its own errors, ZocaloError every one, parents their subclasses'.
    expect(report.recognised).toBeGreaterThan(2 * 2 * report.names.length);
  });

  it('keeps class relations, permanence and subclasses without a code of their own', () => {
    expect(report.facts).toEqual({
      twoCopies: true,
      backlogIsConnectionAcross: true,
      connectionIsNotBacklogAcross: false,
      outputLimitPermanentAcross: true,
      connectionPermanentAcross: false,
      subclassCode: 'ZOCALO_PERMANENT',
      subclassIsPermanentAcross: true,
      parentIsNotSubclass: false,
      nameIsNotEnough: false,
      anyErrorIsError: true,
    });
  });
});
