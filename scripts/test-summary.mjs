// Add up every package's jest results (written by `jest --json --outputFile=.jest-results.json`)
// into one closing line, so a reader of the CI log sees the whole count at the end, preceded by
// every failed test with the start of its message (CI logs may keep only their tail).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
const failures = [];
// The first lines of a failure, without colour codes: enough to see what broke.
const excerpt = (text) =>
  text
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .slice(0, 12)
    .map((line) => `      ${line}`)
    .join('\n');
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
    for (const suite of results.testResults) {
      const where = `${group}/${dir}/${suite.name.slice(join(root, group, dir).length + 1)}`;
      const failedTests = suite.assertionResults.filter((test) => test.status === 'failed');
      for (const test of failedTests) {
        failures.push(`  ✕ ${where}: ${test.fullName}\n${excerpt(test.failureMessages.join('\n'))}`);
      }
      if (failedTests.length === 0 && suite.status === 'failed') {
        failures.push(`  ✕ ${where} (the suite did not run)\n${excerpt(suite.message)}`);
      }
    }
  }
}
if (failures.length) console.log(`failed tests:\n${failures.join('\n')}`);
if (missing.length) console.log(`no test results from: ${missing.join(', ')}`);
console.log(`zocalo: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
