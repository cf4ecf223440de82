// Add up every package's jest results (written by `jest --json --outputFile=.jest-results.json`)
// into one closing line, so a reader of the CI log sees the whole count at the end.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of ['packages', 'examples']) {
  for (const dir of readdirSync(join(root, group))) {
    const file = join(root, group, dir, '.jest-results.json');
    if (!existsSync(join(root, group, dir, 'jest.config.cjs'))) continue;
    if (!existsSync(file)) {
      missing.push(`${group}/${dir}`);
      continue;
    }
    const results = JSON.parse(readFileSync(file, 'utf8'));
    passed += results.numPassedTests;
    failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
    skipped += results.numPendingTests + results.numTodoTests;
  }
}
if (missing.length) console.log(`no test results from: ${missing.join(', ')}`);
console.log(`zocalo: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
