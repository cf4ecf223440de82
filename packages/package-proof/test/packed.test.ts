/**
 * The published packages as a user gets them: every public package packed with `pnpm pack` (which
 * applies `publishConfig`), the tarballs installed with npm into an empty project outside the
 * workspace, then used from there as ESM, as CommonJS and from TypeScript; publint and
 * arethetypeswrong on each tarball. Needs the packages built (`pnpm build`) and the npm registry
 * for their third-party dependencies.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TSC, pnpm, publicPackages, run } from './workspace';

const packages = publicPackages();
const scratch = mkdtempSync(join(tmpdir(), 'zocalo-packed-'));
const tarballs = join(scratch, 'tarballs');
const project = join(scratch, 'project');
const tarballOf = (name: string): string =>
  join(
    tarballs,
    `${name.replace('@', '').replace('/', '-')}-${packages.find((p) => p.name === name)!.version}.tgz`,
  );

beforeAll(() => {
  const unbuilt = packages.filter((p) => !existsSync(join(p.dir, 'dist')));
  if (unbuilt.length > 0) {
    throw new Error(`not built: ${unbuilt.map((p) => p.name).join(', ')}; run \`pnpm build\` first`);
  }
  mkdirSync(tarballs);
  pnpm(['-r', ...packages.flatMap((p) => ['--filter', p.name]), 'pack', '--pack-destination', tarballs]);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  // Peers are left out: transport-conformance's is jest, tracing's the OpenTelemetry SDK (loaded
  // only when tracing starts). @types/node is what a TypeScript consumer on Node has.
  const types = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies['@types/node'];
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--omit=peer',
      ...packages.map((p) => tarballOf(p.name)),
      `@types/node@${types}`,
    ],
    { cwd: project },
  );
}, 180_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A service on the memory transport and a recipe run through it, as the consumers write it. */
const PROGRAM = (load: string): string => `${load}
const broker = new MemoryBroker();
const square = defineService({
  name: 'Square',
  async initializing(ctx) {
    await ctx.subscribe('proof.square', recipeHandler(async (wrapper) => {
      const value = wrapper.payload.value;
      await wrapper.send({ value, squared: value * value });
    }));
  },
});
const runtime = new ServiceRuntime(square, { transport: new MemoryTransport({ broker }) });
const running = runtime.run();
const client = new MemoryTransport({ broker });
await client.connect();
const result = new Promise((resolve) => {
  void wrapSubscribe(client, 'proof.collect', (wrapper, header, payload) => resolve({ id: wrapper.recipeId, payload }));
});
const recipe = new Recipe({
  1: { service: 'Square', queue: 'proof.square', output: 2 },
  2: { service: 'Collect', queue: 'proof.collect' },
  start: [[1, { value: 7 }]],
});
recipe.validate();
await RecipeWrapper.fromRecipe(recipe, client).start();
const { id, payload } = await result;
await runtime.stop();
await running;
await client.disconnect();
console.log(JSON.stringify({ recipeId: typeof id, payload, ended: runtime.state === ServiceState.END }));
`;

/** Every public package's entry point loaded, and what it exports counted. */
const EVERY_ENTRY = (load: (name: string) => string): string =>
  packages.map((p) => `counts[${JSON.stringify(p.name)}] = Object.keys(${load(p.name)}).length;`).join('\n');

describe('the packed packages, installed with npm into an empty project', () => {
  it('contain no src/, and their manifests no @zocalo/source condition or workspace: range', () => {
    for (const p of packages) {
      const installed = join(project, 'node_modules', p.name);
      const manifest = readFileSync(join(installed, 'package.json'), 'utf8');
      const { exports, main, module, types } = JSON.parse(manifest);
      const entries = JSON.stringify({ exports, main, module, types });
      expect([p.name, /@zocalo\/source|src\//.test(entries), manifest.includes('workspace:')]).toEqual([
        p.name,
        false,
        false,
      ]);
      expect([p.name, existsSync(join(installed, 'src')), existsSync(join(installed, 'LICENSE'))]).toEqual([
        p.name,
        false,
        true,
      ]);
      const { repository, homepage, bugs, keywords } = JSON.parse(manifest);
      expect({ repository, homepage, bugs, keywords }).toEqual({
        repository: expect.objectContaining({ directory: expect.any(String) }),
        homepage: expect.any(String),
        bugs: expect.objectContaining({ url: expect.any(String) }),
        keywords: expect.arrayContaining(['zocalo']),
      });
    }
  });

  it('run a service and a recipe through it from ESM, and load every package', () => {
    writeFileSync(
      join(project, 'consumer.mjs'),
      [
        PROGRAM(
          "import { MemoryBroker, MemoryTransport, ServiceRuntime, ServiceState, defineService } from '@zocalo/workflows';\n" +
            "import { Recipe, RecipeWrapper, recipeHandler, wrapSubscribe } from '@zocalo/recipes';",
        ),
        'const counts = {};',
        EVERY_ENTRY((name) => `await import(${JSON.stringify(name)})`),
        'console.log(JSON.stringify(counts));',
      ].join('\n'),
    );
    const [ran, counts] = run('node', ['consumer.mjs'], { cwd: project }).trim().split('\n').slice(-2);
    expect(JSON.parse(ran)).toEqual({ recipeId: 'string', payload: { value: 7, squared: 49 }, ended: true });
    for (const p of packages) expect([p.name, JSON.parse(counts)[p.name] > 0]).toEqual([p.name, true]);
  });

  it('run a service and a recipe through it from CommonJS, and load every package', () => {
    writeFileSync(
      join(project, 'consumer.cjs'),
      [
        "const { MemoryBroker, MemoryTransport, ServiceRuntime, ServiceState, defineService } = require('@zocalo/workflows');",
        "const { Recipe, RecipeWrapper, recipeHandler, wrapSubscribe } = require('@zocalo/recipes');",
        'async function main() {',
        PROGRAM(''),
        '}',
        'const counts = {};',
        EVERY_ENTRY((name) => `require(${JSON.stringify(name)})`),
        'main().then(() => console.log(JSON.stringify(counts)));',
      ].join('\n'),
    );
    const [ran, counts] = run('node', ['consumer.cjs'], { cwd: project }).trim().split('\n').slice(-2);
    expect(JSON.parse(ran)).toEqual({ recipeId: 'string', payload: { value: 7, squared: 49 }, ended: true });
    for (const p of packages) expect([p.name, JSON.parse(counts)[p.name] > 0]).toEqual([p.name, true]);
  });

  it('type-check a TypeScript consumer against the installed declarations (ESM and CommonJS)', () => {
    const program = PROGRAM('')
      .replace('async initializing(ctx) {', 'async initializing(ctx: ServiceContext) {')
      .replace(
        'const value = wrapper.payload.value;',
        'const value = (wrapper.payload as { value: number }).value;',
      )
      .replace(
        'new Promise((resolve)',
        'new Promise<{ id: string | undefined; payload: unknown }>((resolve)',
      );
    const imports =
      "import { MemoryBroker, MemoryTransport, ServiceRuntime, ServiceState, defineService, type ServiceContext } from '@zocalo/workflows';\n" +
      "import { Recipe, RecipeWrapper, recipeHandler, wrapSubscribe } from '@zocalo/recipes';\n" +
      packages.map((p, i) => `import * as entry${i} from ${JSON.stringify(p.name)};`).join('\n') +
      `\nexport const entries = [${packages.map((_, i) => `entry${i}`).join(', ')}];\n`;
    mkdirSync(join(project, 'ts'));
    writeFileSync(join(project, 'ts', 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(project, 'ts', 'consumer.mts'), `${imports}${program}`);
    writeFileSync(
      join(project, 'ts', 'consumer.cts'),
      `${imports}export async function main(): Promise<void> {\n${program}}\n`,
    );
    writeFileSync(
      join(project, 'ts', 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          // Our declarations are checked too; third parties' are theirs to keep.
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['consumer.mts', 'consumer.cts'],
      }),
    );
    expect(run('node', [TSC, '-p', 'ts'], { cwd: project })).toBe('');
  });

  it('pass publint and arethetypeswrong', () => {
    const bin = (name: string): string => join(__dirname, '..', 'node_modules', '.bin', name);
    const problems: string[] = [];
    for (const p of packages) {
      for (const [tool, args] of [
        ['publint', ['--strict', tarballOf(p.name)]],
        // node10 (moduleResolution "node") cannot see subpath exports; the packages need Node 20.
        ['attw', ['--profile', 'node16', '--format', 'ascii', tarballOf(p.name)]],
      ] as const) {
        try {
          run(bin(tool), [...args], { cwd: scratch });
        } catch (error) {
          problems.push(`${tool} ${p.name}:\n${(error as Error).message}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('packs every public package in the workspace', () => {
    expect(readdirSync(tarballs).sort()).toEqual(
      packages.map((p) => tarballOf(p.name).slice(tarballs.length + 1)).sort(),
    );
    expect(packages.length).toBeGreaterThanOrEqual(15);
  });
});
