/**
 * Every code block of README.md, docs/*.md and the package READMEs marked `ts runnable` or `ts check`
 * (docs/code-blocks.md) is saved in a folder of this package (so `@zocalo/*` resolves as in an
 * application, to the built packages), type-checked with tsc, and, when runnable, run with tsx on
 * the memory transport: a snippet that does not compile, uses an undefined name, or fails when run
 * fails here with its page and line.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Snippet, documentationPages, snippetsOf } from './snippets';
import { ROOT, TSC, publicPackages, run } from './workspace';

const WORK = join(__dirname, '..', '.snippets');
const snippets = documentationPages().flatMap(snippetsOf);
const pathOf = (snippet: Snippet): string => join(WORK, snippet.doc.replace(/[/.]/g, '_'), snippet.file);

beforeAll(() => {
  const unbuilt = publicPackages().filter((p) => !existsSync(join(p.dir, 'dist')));
  if (unbuilt.length > 0) {
    throw new Error(`not built: ${unbuilt.map((p) => p.name).join(', ')}; run \`pnpm build\` first`);
  }
  rmSync(WORK, { recursive: true, force: true });
  for (const snippet of snippets) {
    mkdirSync(dirname(pathOf(snippet)), { recursive: true });
    writeFileSync(pathOf(snippet), snippet.code);
  }
  writeFileSync(join(WORK, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(
    join(WORK, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.base.json',
      // The published packages' declarations, as an application sees them, not their sources.
      compilerOptions: { customConditions: [], noEmit: true, types: ['node'], noUnusedLocals: false },
      include: ['**/*.ts'],
    }),
  );
});

// Kept with ZOCALO_KEEP_SNIPPETS=1, to run or edit one by hand.
afterAll(() => {
  if (!process.env.ZOCALO_KEEP_SNIPPETS) rmSync(WORK, { recursive: true, force: true });
});

/** tsc's `file(line,col): error` lines, each told as the page and line of the block. */
function located(output: string): string {
  return output.replace(/^(.+?\.ts)\((\d+),(\d+)\)/gm, (match, file: string, line: string) => {
    const snippet = snippets.find((s) => pathOf(s).endsWith(file.replace(/^.*\.snippets\//, '')));
    return snippet ? `${snippet.doc}:${snippet.line + Number(line) - 1}` : match;
  });
}

describe('the code blocks of the docs', () => {
  it('mark complete programs in the guides to writing a service and a recipe, and the README', () => {
    const runnable = new Set(snippets.filter((s) => s.mode === 'runnable').map((s) => s.doc));
    expect([...runnable]).toEqual(
      expect.arrayContaining(['README.md', 'docs/writing-a-service.md', 'docs/writing-a-recipe.md']),
    );
  });

  it('type-check', () => {
    let output = '';
    try {
      run('node', [TSC, '-p', WORK], { cwd: WORK });
    } catch (error) {
      output = located((error as Error).message);
    }
    expect(output).toBe('');
  });

  const programs = snippets.filter((s) => s.mode === 'runnable');
  it.each(programs.map((s) => [`${s.doc}:${s.line}`, s] as const))('run: %s', (_where, snippet) => {
    run(join(ROOT, 'node_modules', '.bin', 'tsx'), [pathOf(snippet)], {
      cwd: dirname(pathOf(snippet)),
      timeout: 30_000,
    });
  });
});
