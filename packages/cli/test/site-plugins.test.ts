/**
 * The example third-party package (examples/site-plugins), packed as npm would publish it and
 * installed into scratch projects in npm, pnpm (direct and transitive) and hoisted-workspace
 * layouts: `zocalo service --list` and `zocalo wrap --list` find its service and wrapper by name,
 * `zocalo wrap --wrap greet` runs its wrapper with its configuration plugin's block, and a
 * package whose declared module is missing is named in the error.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI_DIR, zocalo } from './helpers';

const REPO = join(CLI_DIR, '..', '..');
const EXAMPLE = '@zocalo/example-site-plugins';
const DEPENDENCIES = ['wrapper', 'recipes', 'workflows'];

/** The example as `npm pack` makes it (its "files" only), unpacked. */
function packedExample(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zocalo-pack-'));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: join(REPO, 'examples', 'site-plugins'),
    encoding: 'utf8',
  }).trim();
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir]);
  return join(dir, 'package');
}

/** Install the packed example into `nodeModules` (a copy), its @zocalo dependencies beside it (links). */
function install(packed: string, nodeModules: string): string {
  const target = join(nodeModules, EXAMPLE);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(packed, target, { recursive: true });
  for (const name of DEPENDENCIES)
    symlinkSync(join(REPO, 'packages', name), join(nodeModules, '@zocalo', name), 'dir');
  return target;
}

function link(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path, 'dir');
}

function writeFiles(root: string, files: Record<string, unknown>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
}

interface Layout {
  readonly name: string;
  /** Where the application runs (its cwd). */
  readonly cwd: string;
}

function layouts(packed: string): Layout[] {
  const scratch = (): string => mkdtempSync(join(tmpdir(), 'zocalo-site-'));
  const app = (root: string): void =>
    writeFiles(root, {
      'package.json': { name: 'site', private: true, dependencies: { [EXAMPLE]: '0.1.0' } },
    });

  const npm = scratch();
  app(npm);
  install(packed, join(npm, 'node_modules'));
  // A second package whose declared wrapper module is missing (an unbuilt package).
  writeFiles(npm, {
    'node_modules/@site/unbuilt/package.json': {
      name: '@site/unbuilt',
      zocalo: { wrappers: { unbuilt: './dist/index.js:Unbuilt' } },
    },
  });

  const pnpm = scratch();
  app(pnpm);
  const store = join(pnpm, 'node_modules', '.pnpm', '@zocalo+example-site-plugins@0.1.0', 'node_modules');
  link(install(packed, store), join(pnpm, 'node_modules', EXAMPLE));

  // Transitive: a dependency of a dependency, linked only in pnpm's hoisting folder.
  const transitive = scratch();
  app(transitive);
  const deep = join(
    transitive,
    'node_modules',
    '.pnpm',
    '@zocalo+example-site-plugins@0.1.0',
    'node_modules',
  );
  link(install(packed, deep), join(transitive, 'node_modules', '.pnpm', 'node_modules', EXAMPLE));

  const hoisted = scratch();
  writeFiles(hoisted, { 'package.json': { name: 'workspace', private: true, workspaces: ['apps/*'] } });
  app(join(hoisted, 'apps', 'site'));
  install(packed, join(hoisted, 'node_modules'));

  return [
    { name: 'npm', cwd: npm },
    { name: 'pnpm', cwd: pnpm },
    { name: 'pnpm, transitive', cwd: transitive },
    { name: 'hoisted workspace', cwd: join(hoisted, 'apps', 'site') },
  ];
}

const SITE = [
  'version: 1',
  'embedded:',
  '  plugin: memory',
  'greeting:',
  '  plugin: greeting',
  '  greeting: Bonjour',
  'environments:',
  '  default: [embedded, greeting]',
].join('\n');

describe('a third-party package of services, wrappers and configuration plugins', () => {
  const all = layouts(packedExample());

  it.each(all)('is found by name in the $name layout', async ({ cwd }) => {
    const [services, wrappers] = await Promise.all([
      zocalo(['service', '--list'], { cwd }),
      zocalo(['wrap', '--list'], { cwd }),
    ]);
    expect([services.code, wrappers.code]).toEqual([0, 0]);
    expect(services.stdout).toMatch(/^Greeter +@zocalo\/example-site-plugins$/m);
    // The command line's own packages are found from its installation, wherever it runs.
    expect(services.stdout).toMatch(/^Dispatcher +@zocalo\/dispatcher$/m);
    expect(wrappers.stdout).toMatch(/^greet +@zocalo\/example-site-plugins$/m);
    expect(wrappers.stdout).toMatch(/^dummy +@zocalo\/wrapper$/m);
  });

  it('runs its wrapper with its configuration plugin’s block, from the site configuration', async () => {
    const { cwd } = all[1];
    writeFiles(cwd, {
      'site.yml': SITE,
      'step.json': {
        recipe: {
          '1': { service: 'greet', queue: 'greet', parameters: { name: 'Ada' } },
          start: [[1, null]],
        },
        'recipe-pointer': 1,
        environment: { ID: 'greet-1' },
        payload: null,
      },
    });
    const run = await zocalo(
      ['wrap', '--wrap', 'greet', '--recipewrapper', 'step.json', '--config', 'site.yml'],
      {
        cwd,
      },
    );
    expect({
      code: run.code,
      errors: run.stderr.split('\n').filter((line) => line.startsWith('zocalo')),
    }).toEqual({
      code: 0,
      errors: [],
    });
    expect(run.stderr).toContain('"greeting":"Bonjour, Ada!"');
    expect(run.stderr).toContain('"recipe_ID":"greet-1"');

    // A block the plugin's schema refuses is an error of the configuration file.
    writeFiles(cwd, { 'bad.yml': SITE.replace('  greeting: Bonjour', '  greeting: ""') });
    const bad = await zocalo(['wrap', '--wrap', 'greet', '--config', 'bad.yml'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yml:6:\d+: greeting\.greeting: /);
  });

  it('names the package whose declared wrapper cannot be loaded', async () => {
    const failed = await zocalo(['wrap', '--wrap', 'unbuilt', '-t', 'memory'], { cwd: all[0].cwd });
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n').at(-1)).toMatch(
      /^zocalo wrap: wrapper unbuilt failed: the wrapper "unbuilt" of package @site\/unbuilt \(.*\) cannot be loaded: importing .*dist\/index\.js failed: .*build or reinstall @site\/unbuilt/,
    );
  });
});
