// Build what the `zocalo` bin loads at run time, where its build is missing or older than its
// sources: the workspace packages in dependency order, then this one. A fresh checkout that ran
// `pnpm build` (as CI does) builds nothing here. The broker transports are built on a best-effort
// basis: the tests that need them say so if they do not load.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const packages = join(__dirname, '..', '..');
const required = [
  'workflows',
  'recipes',
  'configuration',
  'dispatcher',
  'rabbitmq-management',
  'schlockmeister',
  'mailer',
  'jsonlines',
  'cli',
];
const optional = ['transport-amqp', 'transport-stomp'];

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function stale(dir, output) {
  const built = join(dir, 'dist', output);
  if (!existsSync(built)) return true;
  const sources = Math.max(newest(join(dir, 'src')), statSync(join(dir, 'package.json')).mtimeMs);
  return sources > statSync(built).mtimeMs;
}

function build(name, mustSucceed) {
  const dir = join(packages, name);
  if (!existsSync(join(dir, 'src')) || !stale(dir, name === 'cli' ? 'bin.js' : 'index.js')) return;
  try {
    execFileSync('npx', ['tsup'], { cwd: dir, stdio: 'pipe', timeout: 180000 });
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.split('\n').slice(-20).join('\n');
    if (mustSucceed) throw new Error(`building ${name} for the CLI tests failed:\n${output}`);
    console.warn(`\n[cli tests] building ${name} failed; tests that need it will say so:\n${output}`);
  }
}

module.exports = async () => {
  for (const name of [...required.slice(0, -1), ...optional]) build(name, required.includes(name));
  build('cli', true);
};
