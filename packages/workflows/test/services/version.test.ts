import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKFLOWS_VERSION } from '../../src';

test('the version in status broadcasts is the package version', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(WORKFLOWS_VERSION).toBe(pkg.version);
});
