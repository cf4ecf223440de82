import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  PluginLoadError,
  ZOCALO_ERROR_CODES,
  activeConditions,
  entryPointGroup,
  findEntryPoint,
  findEntryPoints,
  isZocaloError,
  loadEntryPoint,
  loadEntryPointSync,
  packageEntryFile,
  parseTarget,
} from '../src';

type Files = Record<string, unknown>;

function tree(files: Files): string {
  const root = mkdtempSync(join(tmpdir(), 'zocalo-entry-'));
  for (const [path, value] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof value === 'string' ? value : JSON.stringify(value));
  }
  return root;
}

function project(): string {
  return tree({
    'package.json': {
      name: 'my-site',
      zocalo: { 'workflows.services': { SiteService: './services.js:Site' } },
    },
    'node_modules/@site/plugins/package.json': {
      name: '@site/plugins',
      exports: {
        '.': { '@zocalo/source': './src/index.ts', import: './dist/index.js', require: './dist/index.cjs' },
      },
      zocalo: {
        'workflows.services': { Dispatcher: 'shadowed', Mailer: 'createMailer' },
        'zocalo.services.dispatcher.filters': { visit: './dist/filters.js:checkVisit' },
      },
    },
    'node_modules/plain/package.json': { name: 'plain', main: 'lib/main.js' },
  });
}

describe('entry points', () => {
  it('finds the entry points of a group in the project and its node_modules', () => {
    const root = project();
    const services = findEntryPoints('workflows.services', { cwd: root });
    expect(services.map((entry) => [entry.name, entry.packageName, entry.target])).toEqual([
      ['Dispatcher', '@site/plugins', 'shadowed'],
      ['Mailer', '@site/plugins', 'createMailer'],
      ['SiteService', 'my-site', './services.js:Site'],
    ]);
    expect(
      findEntryPoints('zocalo.services.dispatcher.filters', { cwd: join(root, 'node_modules') }),
    ).toHaveLength(1);
  });

  it('reads the documented short keys and the Python group names alike', () => {
    const root = tree({
      'package.json': { name: 'app', dependencies: { short: '1', python: '1' } },
      'node_modules/short/package.json': {
        name: 'short',
        zocalo: {
          services: { Short: 'createShort' },
          wrappers: { xia2: './dist/xia2.js:Xia2' },
          configurationPlugins: { ispyb: 'ispybPlugin' },
          transports: { carrier: './dist/descriptor.js:descriptor' },
        },
      },
      'node_modules/python/package.json': {
        name: 'python',
        zocalo: {
          'workflows.services': { Long: 'createLong' },
          'zocalo.wrappers': { dials: 'DialsWrapper' },
          'zocalo.configuration.plugins': { slurm: 'slurmPlugin' },
        },
      },
    });
    const names = (group: string): string[] =>
      findEntryPoints(group, { cwd: root }).map((entry) => `${entry.name}@${entry.packageName}`);
    expect(names('services')).toEqual(['Long@python', 'Short@short']);
    expect(names('workflows.services')).toEqual(names('services'));
    expect(names('wrappers')).toEqual(['dials@python', 'xia2@short']);
    expect(names('zocalo.configuration.plugins')).toEqual(['ispyb@short', 'slurm@python']);
    expect(names('transports')).toEqual(['carrier@short']);
    expect(
      findEntryPoints('wrappers', { cwd: root }).every((entry) => entry.group === 'zocalo.wrappers'),
    ).toBe(true);
    expect(entryPointGroup('configurationPlugins')).toBe('zocalo.configuration.plugins');
    expect(entryPointGroup('zocalo.services.dispatcher.filters')).toBe('zocalo.services.dispatcher.filters');
    expect(findEntryPoint('wrappers', 'XIA2', { cwd: root })?.packageName).toBe('short');
  });

  it('finds packages in npm, hoisted and pnpm layouts, transitive ones included', () => {
    // pnpm: the real folders in node_modules/.pnpm, direct dependencies linked at the top, and
    // every package linked in node_modules/.pnpm/node_modules (its hoisting of transitive ones).
    const root = tree({
      'package.json': { name: 'app' },
      'node_modules/.pnpm/direct@1.0.0/node_modules/direct/package.json': {
        name: 'direct',
        zocalo: { wrappers: { direct: 'Direct' } },
      },
      'node_modules/.pnpm/deep@1.0.0/node_modules/deep/package.json': {
        name: 'deep',
        zocalo: { wrappers: { deep: 'Deep' } },
      },
    });
    const store = join(root, 'node_modules/.pnpm');
    symlinkSync(join(store, 'direct@1.0.0/node_modules/direct'), join(root, 'node_modules/direct'));
    mkdirSync(join(store, 'node_modules'));
    symlinkSync(join(store, 'deep@1.0.0/node_modules/deep'), join(store, 'node_modules/deep'));
    symlinkSync(join(store, 'direct@1.0.0/node_modules/direct'), join(store, 'node_modules/direct'));
    const found = findEntryPoints('wrappers', { cwd: join(root, 'src', 'nested') });
    expect(found.map((entry) => [entry.name, entry.packageDir])).toEqual([
      ['deep', join(store, 'deep@1.0.0/node_modules/deep')],
      ['direct', join(store, 'direct@1.0.0/node_modules/direct')],
    ]);

    // npm (flat) in the project, and a hoisted workspace: a package in the node_modules above.
    const workspace = tree({
      'package.json': { name: 'workspace', private: true },
      'node_modules/hoisted/package.json': { name: 'hoisted', zocalo: { wrappers: { hoisted: 'H' } } },
      'apps/site/package.json': { name: 'site' },
      'apps/site/node_modules/flat/package.json': { name: 'flat', zocalo: { wrappers: { flat: 'F' } } },
    });
    expect(findEntryPoints('wrappers', { cwd: join(workspace, 'apps/site') }).map((e) => e.name)).toEqual([
      'flat',
      'hoisted',
    ]);
    // And an extra root: where a command line is installed, when it runs elsewhere.
    expect(
      findEntryPoints('wrappers', { cwd: tmpdir(), extraRoots: [join(workspace, 'apps/site')] }).map(
        (e) => e.name,
      ),
    ).toEqual(['flat', 'hoisted']);
  });

  it('loads an entry point, or fails with a PluginLoadError naming the package', async () => {
    const root = tree({
      'node_modules/good/package.json': {
        name: 'good',
        main: 'index.cjs',
        zocalo: { wrappers: { main: 'Main', module: './lib/other.cjs:Other', missing: 'Nothing' } },
      },
      'node_modules/good/index.cjs': 'exports.Main = "main";',
      'node_modules/good/lib/other.cjs': 'exports.Other = "other";',
      'node_modules/broken/package.json': {
        name: '@site/broken',
        zocalo: { wrappers: { broken: './dist/gone.cjs:Gone', throws: './throws.cjs:X' } },
      },
      'node_modules/broken/throws.cjs': 'throw new Error("no licence for the detector library");',
    });
    const entry = (name: string) => findEntryPoint('wrappers', name, { cwd: root })!;
    expect(await loadEntryPoint(entry('main'))).toBe('main');
    expect(loadEntryPointSync(entry('main'))).toBe('main');
    expect(loadEntryPointSync(entry('module'))).toBe('other');

    const failure = (name: string): Promise<PluginLoadError> =>
      loadEntryPoint(entry(name)).then(
        () => Promise.reject(new Error(`${name} loaded`)),
        (error: PluginLoadError) => error,
      );
    const missing = await failure('missing');
    expect(missing).toBeInstanceOf(PluginLoadError);
    expect(isZocaloError(missing, ZOCALO_ERROR_CODES.PluginLoadError)).toBe(true);
    expect(missing.message).toMatch(
      /^the wrapper "missing" of package good \(.*\) cannot be loaded: .*index\.cjs has no export named Nothing/,
    );
    expect((await failure('broken')).message).toMatch(
      /^the wrapper "broken" of package @site\/broken .* cannot be loaded: importing .*gone\.cjs failed: .*build or reinstall @site\/broken/,
    );
    expect((await failure('throws')).message).toContain('no licence for the detector library');
    expect(() => loadEntryPointSync(entry('throws'))).toThrow(
      /the wrapper "throws" of package @site\/broken .*requiring .*throws\.cjs failed: no licence/,
    );
  });

  it('resolves a package entry with the active export conditions', () => {
    const dir = join(project(), 'node_modules', '@site', 'plugins');
    expect(packageEntryFile(dir, ['node', 'import'])).toBe(join(dir, 'dist/index.js'));
    expect(packageEntryFile(dir, ['node', 'require'])).toBe(join(dir, 'dist/index.cjs'));
    expect(packageEntryFile(dir, ['node', 'import', '@zocalo/source'])).toBe(join(dir, 'src/index.ts'));
    expect(packageEntryFile(join(dir, '..', '..', 'plain'), ['node'])).toBe(
      join(dir, '..', '..', 'plain', 'lib/main.js'),
    );
    expect(activeConditions(['--conditions=@zocalo/source'], '-C dev')).toEqual([
      'node',
      'import',
      '@zocalo/source',
      'dev',
    ]);
  });

  it('reads targets', () => {
    expect(parseTarget('createDispatcher')).toEqual({ exportName: 'createDispatcher' });
    expect(parseTarget('./dist/filters.js:checkVisit')).toEqual({
      module: './dist/filters.js',
      exportName: 'checkVisit',
    });
    expect(parseTarget('./services.mjs#Doubler')).toEqual({
      module: './services.mjs',
      exportName: 'Doubler',
    });
    expect(parseTarget('./services.mjs')).toEqual({ module: './services.mjs', exportName: 'default' });
  });
});
