// `pnpm docs:api`: the API reference of every published package, from its doc comments (TypeDoc),
// into docs/api/ (not committed). Warnings fail it. A type that a public signature uses but its
// package does not export is a warning; the few known ones are listed in their package.json
// (`typedocOptions.intentionallyNotExported`: each should be exported, or made internal).
// Links are not validated yet: three {@link}s name what their file does not import (mailer's
// pformat, recipes' DisconnectedError, transport-stomp's MessageRefusedError); once they are fixed,
// drop "validation" from scripts/typedoc.json. It skips type errors (`skipErrorChecking`, half the
// time): `pnpm typecheck` reports those. Extra arguments go to TypeDoc (`--out elsewhere`).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const published = readdirSync(join(root, 'packages')).filter(
  (dir) => !JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).private,
);
const args = [
  '--entryPointStrategy',
  'packages',
  ...published.flatMap((dir) => ['--entryPoints', `packages/${dir}`]),
  // Where in each package to start (src/index.ts): only a config file can say so.
  '--options',
  'scripts/typedoc.json',
  '--name',
  'Zocalo for TypeScript',
  '--out',
  'docs/api',
  '--treatWarningsAsErrors',
  ...process.argv.slice(2),
];
const typedoc = join(root, 'node_modules', '.bin', 'typedoc');
const { status } = spawnSync(typedoc, args, { cwd: root, stdio: 'inherit' });
process.exit(status ?? 1);
