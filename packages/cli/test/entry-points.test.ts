import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  activeConditions,
  completeHost,
  findEntryPoints,
  isModulePath,
  packageEntryFile,
  parseParameters,
  parseTarget,
} from '../src';

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'zocalo-entry-'));
  const write = (path: string, value: unknown): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), JSON.stringify(value));
  };
  write('package.json', {
    name: 'my-site',
    zocalo: { 'workflows.services': { SiteService: './services.js:Site' } },
  });
  write('node_modules/@site/plugins/package.json', {
    name: '@site/plugins',
    exports: {
      '.': { '@zocalo/source': './src/index.ts', import: './dist/index.js', require: './dist/index.cjs' },
    },
    zocalo: {
      'workflows.services': { Dispatcher: 'shadowed', Mailer: 'createMailer' },
      'zocalo.services.dispatcher.filters': { visit: './dist/filters.js:checkVisit' },
    },
  });
  write('node_modules/plain/package.json', { name: 'plain', main: 'lib/main.js' });
  return root;
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

  it('resolves a package entry with the active export conditions', () => {
    const dir = join(project(), 'node_modules', '@site', 'plugins');
    expect(packageEntryFile(dir, ['node', 'import'])).toBe(join(dir, 'dist/index.js'));
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

  it('reads targets and module paths', () => {
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
    expect(['./x.js', '../x', '/abs/x.mjs', 'x.ts#A'].map(isModulePath)).toEqual([true, true, true, true]);
    expect(['Dispatcher', 'dlstbx.services'].map(isModulePath)).toEqual([false, false]);
  });
});

describe('command-line values', () => {
  it('reads KEY=VALUE as python-zocalo does, and KEY:=JSON', () => {
    expect(parseParameters(['a=1', 'b=x=y', 'c:=[1,2]', 'd:={"e":null}', 'a=2'])).toEqual({
      a: '2',
      b: 'x=y',
      c: [1, 2],
      d: { e: null },
    });
    expect(() => parseParameters(['=x'])).toThrow("Invalid variable specification '=x'");
  });

  it('completes hostname.pid with the domain of this machine, as zocalo.shutdown does', () => {
    expect(completeHost('ws123.4711', 'ws001.diamond.ac.uk')).toBe('uk.ac.diamond.ws123.4711');
    expect(completeHost('uk.ac.diamond.ws123.4711', 'ws001.diamond.ac.uk')).toBe('uk.ac.diamond.ws123.4711');
    expect(completeHost('ws123.4711', 'ws001')).toBe('ws123.4711');
  });
});
