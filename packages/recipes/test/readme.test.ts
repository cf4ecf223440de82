import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PACKAGE = resolve(__dirname, '..');
const TSX = resolve(PACKAGE, '..', '..', 'node_modules', '.bin', 'tsx');

describe('README', () => {
  it('the pipeline example runs and prints each hop with the recipe ID', () => {
    const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
    const code = /```ts runnable\n([\s\S]*?)```/
      .exec(readme)![1]
      .replace("'@zocalo/recipes'", JSON.stringify(join(PACKAGE, 'src', 'index.ts')))
      .replace("'@zocalo/workflows'", JSON.stringify(join(PACKAGE, '..', 'workflows', 'src', 'index.ts')));
    const folder = mkdtempSync(join(tmpdir(), 'zocalo-readme-'));
    try {
      const file = join(folder, 'pipeline.mts');
      writeFileSync(file, code);
      const output = execFileSync(TSX, [file], { cwd: PACKAGE, encoding: 'utf8', timeout: 60_000 });
      const lines = output.trim().split('\n').sort();
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^recipe [0-9a-f-]{36} step 2 \(after 1\): \{ squared: 49 \}$/);
      expect(lines[1]).toMatch(/^recipe [0-9a-f-]{36} step 3 \(after 1\): \{ note: 'squared 7' \}$/);
      expect(lines[0].slice(7, 43)).toBe(lines[1].slice(7, 43));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);
});
