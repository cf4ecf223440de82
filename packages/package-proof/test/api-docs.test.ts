/**
 * `pnpm docs:api` (scripts/api-docs.mjs): TypeDoc makes the API reference of every published package
 * from its doc comments with no warning (they fail it), into a scratch folder here.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, publicPackages, run } from './workspace';

const out = mkdtempSync(join(tmpdir(), 'zocalo-api-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test('TypeDoc documents every published package without a warning', () => {
  run('node', [join(ROOT, 'scripts', 'api-docs.mjs'), '--out', out], { cwd: ROOT, timeout: 180_000 });
  const index = readFileSync(join(out, 'index.html'), 'utf8');
  for (const p of publicPackages()) expect([p.name, index.includes(p.name)]).toEqual([p.name, true]);
  // The pages of what the guides use most.
  const classes = readdirSync(join(out, 'classes'));
  expect(classes).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/ServiceRuntime\.html$/),
      expect.stringMatching(/RecipeWrapper\.html$/),
    ]),
  );
}, 180_000);
