/**
 * The code blocks of the docs that are marked to be checked (docs/code-blocks.md):
 *
 *     ```ts runnable                 a whole program: type-checked, then run; it must exit 0
 *     ```ts check                    type-checked only (a module, or a program that needs a broker)
 *     ```ts check file=doubler.ts    saved under that name, for later blocks of the same page to import
 *     ```json file=recipe.json       any block with file= is saved, for the page's programs to read
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './workspace';

export type Mode = 'runnable' | 'check' | 'file';

export interface Snippet {
  /** The page, relative to the repository root. */
  readonly doc: string;
  /** The line of the page where the code starts (after the fence), 1-based. */
  readonly line: number;
  readonly mode: Mode;
  /** The file name it is saved as, in the page's own folder. */
  readonly file: string;
  readonly code: string;
}

/** README.md, docs/*.md and every package's README.md. */
export function documentationPages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name));
  const readmes = readdirSync(join(ROOT, 'packages'))
    .map((dir) => join(ROOT, 'packages', dir, 'README.md'))
    .filter((path) => {
      try {
        readFileSync(path);
        return true;
      } catch {
        return false;
      }
    });
  return [join(ROOT, 'README.md'), ...docs, ...readmes];
}

const FENCE = /^```(\S*)(.*)$/;

/** The marked blocks of one page, in order. */
export function snippetsOf(path: string): Snippet[] {
  const doc = relative(ROOT, path);
  const lines = readFileSync(path, 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open || open[1] === '') continue;
    const end = lines.findIndex((text, j) => j > i && text.startsWith('```'));
    if (end < 0) throw new Error(`${doc}:${i + 1}: a code block that never ends`);
    const words = open[2].trim().split(/\s+/).filter(Boolean);
    const named = words.find((word) => word.startsWith('file='))?.slice('file='.length);
    const mode: Mode | undefined = words.includes('runnable')
      ? 'runnable'
      : words.includes('check')
        ? 'check'
        : named
          ? 'file'
          : undefined;
    if (mode) {
      const ts = ['ts', 'typescript'].includes(open[1]);
      if (mode !== 'file' && !ts) throw new Error(`${doc}:${i + 1}: only TypeScript blocks can be ${mode}`);
      snippets.push({
        doc,
        line: i + 2,
        mode,
        file: named ?? `block-${i + 2}.ts`,
        code: lines.slice(i + 1, end).join('\n') + '\n',
      });
    }
    i = end;
  }
  return snippets;
}
