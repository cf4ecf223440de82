/**
 * Plugins of installed packages: the one mechanism by which a package contributes services,
 * wrappers, configuration plugins and transports (Python packages use entry-point groups for this).
 * A package lists what it provides under `zocalo` in its package.json, by kind and name:
 *
 * ```json
 * "zocalo": {
 *   "services": { "Mailer": "createMailer" },
 *   "wrappers": { "xia2": "./dist/xia2.js:Xia2Wrapper" },
 *   "configurationPlugins": { "ispyb": "ispybPlugin" }
 * }
 * ```
 *
 * Each kind may also be spelt as its Python entry-point group (`workflows.services`,
 * `zocalo.wrappers`, `zocalo.configuration.plugins`, `workflows.transport`), and any other key is a
 * group of its own (`zocalo.services.dispatcher.filters`). A target is an export of the package's
 * main entry (`createMailer`), or a module of the package and an export of it
 * (`./dist/xia2.js:Xia2Wrapper`; `default` when no name is given).
 *
 * Packages are looked for in the working directory's own package.json, in every `node_modules`
 * folder from the working directory up and from each extra root up, and in pnpm's store of each
 * (`node_modules/.pnpm/node_modules`, where pnpm links every installed package, direct or not): npm,
 * hoisted and pnpm layouts alike.
 */
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ZOCALO_ERROR_CODES, ZocaloError } from './errors';

/**
 * The kinds of plugin a package can declare: the documented key of each, and the Python entry-point
 * group it stands for (accepted as a key too, and what {@link EntryPoint.group} reports).
 */
export const PLUGIN_KINDS = Object.freeze({
  services: 'workflows.services',
  wrappers: 'zocalo.wrappers',
  configurationPlugins: 'zocalo.configuration.plugins',
  transports: 'workflows.transport',
} as const);

/** A documented key of the `zocalo` field: `services`, `wrappers`, `configurationPlugins`, `transports`. */
export type PluginKind = keyof typeof PLUGIN_KINDS;

/** Python's entry-point group of services. */
export const SERVICES_GROUP = PLUGIN_KINDS.services;
/** python-zocalo's entry-point group of wrappers. */
export const WRAPPERS_GROUP = PLUGIN_KINDS.wrappers;
/** python-zocalo's entry-point group of configuration plugins. */
export const CONFIGURATION_PLUGINS_GROUP = PLUGIN_KINDS.configurationPlugins;
/** python-workflows' entry-point group of transports. */
export const TRANSPORTS_GROUP = PLUGIN_KINDS.transports;

const WORDS: Readonly<Record<string, string>> = {
  [SERVICES_GROUP]: 'service',
  [WRAPPERS_GROUP]: 'wrapper',
  [CONFIGURATION_PLUGINS_GROUP]: 'configuration plugin',
  [TRANSPORTS_GROUP]: 'transport',
};

/** The Python group a key or group name stands for: `wrappers` → `zocalo.wrappers`. */
export function entryPointGroup(keyOrGroup: string): string {
  return Object.hasOwn(PLUGIN_KINDS, keyOrGroup) ? PLUGIN_KINDS[keyOrGroup as PluginKind] : keyOrGroup;
}

/** The keys of the `zocalo` field that declare a group: its short key first, then its Python name. */
function groupKeys(group: string): string[] {
  const canonical = entryPointGroup(group);
  const short = Object.entries(PLUGIN_KINDS).find(([, python]) => python === canonical)?.[0];
  return short ? [short, canonical] : [canonical];
}

export interface EntryPoint {
  /** The Python group (`workflows.services`), whichever way the package spelt it. */
  readonly group: string;
  readonly name: string;
  /** The package that declares it. */
  readonly packageName: string;
  readonly packageDir: string;
  /** As written: `exportName` or `./module.js:exportName`. */
  readonly target: string;
}

/** A declared plugin that cannot be loaded: its module is missing or fails, or lacks the export. */
export class PluginLoadError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.PluginLoadError;

  constructor(
    readonly entryPoint: EntryPoint,
    problem: string,
    options?: { cause?: unknown },
  ) {
    const kind = WORDS[entryPoint.group] ?? `entry point (${entryPoint.group})`;
    super(
      `the ${kind} "${entryPoint.name}" of package ${entryPoint.packageName} (${entryPoint.packageDir}) ` +
        `cannot be loaded: ${problem}. Its package.json "zocalo" field names ${entryPoint.target}: ` +
        `build or reinstall ${entryPoint.packageName}, or fix that entry`,
      options,
    );
  }
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

/**
 * The `zocalo` field and name of each installed package, by real folder, read once per process: a
 * pnpm store holds hundreds of packages, and a command may search several groups. Only a file that
 * mentions `"zocalo"` is parsed.
 */
const declarations = new Map<string, PackageJson | null>();

function declarationsOf(dir: string): PackageJson | null {
  let known = declarations.get(dir);
  if (known === undefined) {
    known = null;
    try {
      const text = readFileSync(join(dir, 'package.json'), 'utf8');
      if (text.includes('"zocalo"')) {
        const pkg = JSON.parse(text) as PackageJson;
        if (pkg.zocalo && typeof pkg.zocalo === 'object') known = { name: pkg.name, zocalo: pkg.zocalo };
      }
    } catch {
      // no package here, or not JSON: nothing declared
    }
    declarations.set(dir, known);
  }
  return known;
}

/** Every `node_modules` folder from `start` up to the root, each followed by its pnpm store. */
function nodeModulesUp(start: string): string[] {
  const found: string[] = [];
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate)) {
      found.push(candidate);
      const pnpm = join(candidate, '.pnpm', 'node_modules');
      if (existsSync(pnpm)) found.push(pnpm);
    }
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

/** Where to look: the working directory's project and node_modules, then the extra roots'. */
export interface EntryPointSearch {
  readonly cwd: string;
  /** Folders whose node_modules (and those above) are searched too: a command line's own installation. */
  readonly extraRoots?: readonly string[];
}

/**
 * All entry points of `group` (a Python group name or a documented key: `wrappers`) in installed
 * packages, sorted by name; of two of the same name the first found wins (the working directory's
 * project, then the nearest node_modules).
 */
export function findEntryPoints(group: string, search: EntryPointSearch): EntryPoint[] {
  const canonical = entryPointGroup(group);
  const keys = groupKeys(group);
  const seenDirs = new Set<string>();
  const found = new Map<string, EntryPoint>();
  const consider = (dir: string): void => {
    let real: string;
    try {
      // The native realpath: the JS one costs about 0.3 ms a link, too much for a pnpm store.
      real = realpathSync.native(dir);
    } catch {
      return;
    }
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    const pkg = declarationsOf(real);
    if (!pkg) return;
    for (const key of keys) {
      const entries = pkg.zocalo?.[key];
      if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) continue;
      for (const [name, target] of Object.entries(entries as Record<string, unknown>)) {
        if (typeof target !== 'string' || found.has(name)) continue;
        found.set(name, { group: canonical, name, packageName: pkg.name ?? real, packageDir: real, target });
      }
    }
  };
  const project = nearestPackage(search.cwd);
  if (project) consider(project);
  const roots = [search.cwd, ...(search.extraRoots ?? [])];
  for (const root of roots)
    for (const nodeModules of nodeModulesUp(root)) packagesIn(nodeModules).forEach(consider);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The entry point of `group` called `name`: exactly, else ignoring case when that is unambiguous
 * (as `zocalo service dispatcher` finds `Dispatcher`).
 */
export function findEntryPoint(
  group: string,
  name: string,
  search: EntryPointSearch,
): EntryPoint | undefined {
  const entries = findEntryPoints(group, search);
  const exact = entries.find((entry) => entry.name === name);
  if (exact) return exact;
  const folded = entries.filter((entry) => entry.name.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

/** The export conditions this process resolves with (`node`, `import`, and any `--conditions`). */
export function activeConditions(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
  base: readonly string[] = ['node', 'import'],
): string[] {
  const conditions = [...base];
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

function exported(
  entry: EntryPoint,
  loaded: Record<string, unknown>,
  exportName: string,
  file: string,
): unknown {
  if (!(exportName in loaded)) {
    throw new PluginLoadError(entry, `${file} has no export named ${exportName}`);
  }
  return loaded[exportName];
}

function problemOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}

/** Import what an entry point names. Throws a {@link PluginLoadError} naming the package when it cannot. */
export async function loadEntryPoint(entry: EntryPoint): Promise<unknown> {
  const { module, exportName } = parseTarget(entry.target);
  const file = module ? join(entry.packageDir, module) : packageEntryFile(entry.packageDir);
  let loaded: Record<string, unknown>;
  try {
    // A plain path where it is one (POSIX): a CommonJS caller's `import()` (ts-jest's) may become `require()`.
    const specifier = process.platform === 'win32' ? pathToFileURL(file).href : file;
    loaded = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginLoadError(entry, `importing ${file} failed: ${problemOf(error)}`, { cause: error });
  }
  return exported(entry, loaded, exportName, file);
}

/**
 * Load what an entry point names synchronously, for callers that cannot wait (the site
 * configuration is read synchronously): the package's `require` build, or its ES module where
 * Node can require one (20.19 and later, without top-level await).
 */
export function loadEntryPointSync(entry: EntryPoint): unknown {
  const { module, exportName } = parseTarget(entry.target);
  const file = module
    ? join(entry.packageDir, module)
    : packageEntryFile(entry.packageDir, activeConditions(undefined, undefined, ['node', 'require']));
  let loaded: Record<string, unknown>;
  try {
    loaded = createRequire(join(entry.packageDir, 'package.json'))(file) as Record<string, unknown>;
  } catch (error) {
    throw new PluginLoadError(entry, `requiring ${file} failed: ${problemOf(error)}`, { cause: error });
  }
  return exported(entry, loaded, exportName, file);
}
