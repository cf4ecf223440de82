/** What both runners of python-cases.ts do around a run: the site, the stored files, the checks. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { uniqueName } from '@zocalo/test-brokers';
import type { MessageBody } from '@zocalo/workflows';
import type { PythonCase } from './python-cases';

export interface PreparedCase {
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly dir: string;
  /** The working directory: `dir` where the case works on files (given, written, gone), else none of its own. */
  readonly cwd: string | undefined;
  /** Standard input, `{…}` filled in. */
  readonly stdin: string | undefined;
  /** What the case sends to queues first, and expects them to hold after, `{…}` filled in. */
  readonly before: Readonly<Record<string, readonly MessageBody[]>>;
  readonly queues: Readonly<Record<string, readonly MessageBody[]>>;
  readonly unique: string;
  /** The case's expectations with `{unique}` and `{dir}` filled in. */
  fill<T>(value: T): T;
  /** Check the output, the requests received (all of them; this run's are picked) and the files. */
  check(output: { stdout: string; stderr: string }, received: () => readonly MessageBody[]): Promise<void>;
}

// `{unique}` and `{Q}` are the run's unique name; `{dir}` and `{DIR}` its directory.
function fillIn(value: unknown, unique: string, dir: string): unknown {
  if (typeof value === 'string')
    return value.replace(/\{(unique|Q)\}/g, unique).replace(/\{(dir|DIR)\}/g, dir);
  if (Array.isArray(value)) return value.map((item) => fillIn(item, unique, dir));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [fillIn(key, unique, dir), fillIn(item, unique, dir)]),
    );
  }
  return value;
}

function pattern(regex: RegExp, dir: string): RegExp {
  return new RegExp(regex.source.replace(/DIR/g, dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), regex.flags);
}

export function prepareCase(entry: PythonCase): PreparedCase {
  const dir = mkdtempSync(join(tmpdir(), 'zocalo-python-'));
  const unique = uniqueName('pycase');
  const fill = <T>(value: T): T => fillIn(value, unique, dir) as T;
  const env: Record<string, string> = { ...fill(entry.env ?? {}) };
  if (entry.site !== undefined) {
    const site = join(mkdtempSync(join(tmpdir(), 'zocalo-site-')), 'site.yml');
    writeFileSync(site, fill(entry.site));
    env.ZOCALO_CONFIG = site;
  }
  for (const [name, text] of Object.entries(entry.given ?? {})) writeFileSync(join(dir, name), fill(text));
  let when = Date.now() / 1000 - 100;
  for (const [name, content] of Object.entries(entry.stored ?? {})) {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(fill(content)));
    utimesSync(file, when, when);
    when += 10;
  }
  return {
    args: fill([...entry.args]),
    env,
    dir,
    cwd: (entry.given ?? entry.written ?? entry.gone) ? dir : undefined,
    stdin: entry.stdin === undefined ? undefined : fill(entry.stdin),
    before: fill(entry.before ?? {}),
    queues: fill(entry.queues ?? {}),
    unique,
    fill,
    async check(output, received) {
      if (entry.stdout) expect(output.stdout).toMatch(pattern(entry.stdout, dir));
      if (entry.stderr) expect(output.stderr).toMatch(pattern(entry.stderr, dir));
      if (entry.sent) {
        const mine = (): MessageBody[] => received().filter((body) => JSON.stringify(body).includes(unique));
        const deadline = Date.now() + 10_000;
        while (mine().length < entry.sent.length && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20));
        if (entry.sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(mine()).toMatchObject(fill(entry.sent) as MessageBody[]);
        expect(mine()).toHaveLength(entry.sent.length);
      }
      if (entry.files) {
        const files = readdirSync(dir).map(
          (name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown,
        );
        expect(files).toHaveLength(entry.files.length);
        expect(files).toMatchObject(fill(entry.files) as MessageBody[]);
      }
      const under = filesUnder(dir);
      for (const written of entry.written ?? [])
        expect(under.filter((file) => written.test(file))).toHaveLength(1);
      if (entry.written) expect(under).toHaveLength(entry.written.length);
      for (const file of entry.gone ?? []) expect(existsSync(join(dir, fill(file)))).toBe(false);
    },
  };
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}
