/**
 * Entry points, as Python packages declare them for python-zocalo: an installed package lists what
 * it provides under `zocalo` in its package.json, by group and name:
 *
 * ```json
 * "zocalo": {
 *   "workflows.services": { "Dispatcher": "createDispatcher" },
 *   "zocalo.services.dispatcher.filters": { "visit": "./dist/filters.js:checkVisit" }
 * }
 * ```
 *
 * A target is an export of the package's main entry (`createDispatcher`), or a module of the
 * package and an export of it (`./dist/filters.js:checkVisit`; `default` when no name is given).
 * Packages are looked for in every `node_modules` folder from the working directory up and from
 * the command line's own installation up, and in the working directory's own package.json.
 */
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Python's entry-point group of services. */
export const SERVICES_GROUP = 'workflows.services';

export interface EntryPoint {
  readonly group: string;
  readonly name: string;
  /** The package that declares it. */
  readonly packageName: string;
  readonly packageDir: string;
  /** As written: `exportName` or `./module.js:exportName`. */
  readonly target: string;
}

interface PackageJson {
  readonly name?: string;
  readonly main?: string;
  readonly exports?: unknown;
  readonly zocalo?: Readonly<Record<string, unknown>>;
}

function readPackage(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** Every `node_modules` folder from `start` up to the root. */
function nodeModulesUp(start: string): string[] {
  const found: string[] = [];
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate)) found.push(candidate);
    const parent = dirname(dir);
    if (parent === dir) return found;
    dir = parent;
  }
}

/** The nearest folder holding a package.json, from `start` up. */
function nearestPackage(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function packagesIn(nodeModules: string): string[] {
  let names: string[];
  try {
    names = readdirSync(nodeModules);
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      try {
        for (const scoped of readdirSync(join(nodeModules, name))) dirs.push(join(nodeModules, name, scoped));
      } catch {
        // not a folder
      }
    } else {
      dirs.push(join(nodeModules, name));
    }
  }
  return dirs;
}

/** Where to look: the working directory's project and node_modules, then the command line's. */
export interface EntryPointSearch {
  readonly cwd: string;
  /** Folders whose node_modules (and those above) are searched too: the command line's own. */
  readonly extraRoots?: readonly string[];
}

/** All entry points of `group` in installed packages, the first found of each name winning. */
export function findEntryPoints(group: string, search: EntryPointSearch): EntryPoint[] {
  const seenDirs = new Set<string>();
  const found = new Map<string, EntryPoint>();
  const consider = (dir: string): void => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    const pkg = readPackage(real);
    const entries = pkg?.zocalo?.[group];
    if (!pkg || entries === null || typeof entries !== 'object' || Array.isArray(entries)) return;
    for (const [name, target] of Object.entries(entries as Record<string, unknown>)) {
      if (typeof target !== 'string' || found.has(name)) continue;
      found.set(name, { group, name, packageName: pkg.name ?? real, packageDir: real, target });
    }
  };
  const project = nearestPackage(search.cwd);
  if (project) consider(project);
  const roots = [search.cwd, ...(search.extraRoots ?? [])];
  for (const root of roots)
    for (const nodeModules of nodeModulesUp(root)) packagesIn(nodeModules).forEach(consider);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The export conditions this process resolves with (`node`, `import`, and any `--conditions`). */
export function activeConditions(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string[] {
  const conditions = ['node', 'import'];
  const args = [...execArgv, ...nodeOptions.split(/\s+/).filter(Boolean)];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const inline = /^(?:--conditions|-C)=(.+)$/.exec(arg);
    if (inline) conditions.push(inline[1]);
    else if ((arg === '--conditions' || arg === '-C') && args[i + 1]) conditions.push(args[++i]);
  }
  return conditions;
}

function resolveTarget(target: unknown, conditions: readonly string[]): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const resolved = resolveTarget(item, conditions);
      if (resolved) return resolved;
    }
    return undefined;
  }
  if (target && typeof target === 'object') {
    for (const [key, value] of Object.entries(target)) {
      if (key !== 'default' && !conditions.includes(key)) continue;
      const resolved = resolveTarget(value, conditions);
      if (resolved) return resolved;
    }
  }
  return undefined;
}

/** The file a package's main entry (`exports["."]`, else `main`) resolves to for `import`. */
export function packageEntryFile(
  packageDir: string,
  conditions: readonly string[] = activeConditions(),
): string {
  const pkg = readPackage(packageDir) ?? {};
  const exports = pkg.exports;
  let main: unknown = exports;
  if (exports && typeof exports === 'object' && !Array.isArray(exports)) {
    const keys = Object.keys(exports);
    if (keys.some((key) => key.startsWith('.'))) main = (exports as Record<string, unknown>)['.'];
  }
  const file = (main === undefined ? undefined : resolveTarget(main, conditions)) ?? pkg.main ?? 'index.js';
  return join(packageDir, file);
}

/** Split `./module.js:name` / `module.js#name` / `name`; a bare name is an export of the main entry. */
export function parseTarget(target: string): { module?: string; exportName: string } {
  const match = /^(.*?\.(?:[cm]?[jt]s))(?:[:#](.+))?$/.exec(target);
  if (match) return { module: match[1], exportName: match[2] ?? 'default' };
  return { exportName: target };
}

/** Import what an entry point names. Throws when the module or the export is missing. */
export async function loadEntryPoint(entry: EntryPoint): Promise<unknown> {
  const { module, exportName } = parseTarget(entry.target);
  const file = module ? join(entry.packageDir, module) : packageEntryFile(entry.packageDir);
  const loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  if (!(exportName in loaded)) {
    throw new Error(
      `entry point ${entry.name} of ${entry.packageName} names ${exportName}, which ${file} does not export`,
    );
  }
  return loaded[exportName];
}
