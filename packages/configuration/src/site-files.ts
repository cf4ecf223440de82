/**
 * Reading a site configuration: the main file, then its `include:` files depth-first (each relative
 * to the file that names it; a file that includes itself, directly or not, is an error), every file
 * checked against the schema. Included files override the blocks of the file that includes them.
 * A block given as a path string is only resolved here (relative to its file, `~` expanded); it is
 * read when an environment that uses it is activated, so a secrets file need only be readable where
 * it is used.
 */
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { ConfigurationProblem } from './errors';
import { ConfigurationError } from './errors';
import type { EnvironmentDefinition } from './environments';
import { mergeEnvironments, readEnvironments } from './environments';
import { PluginLoadError } from '@zocalo/workflows';
import type { ConfigurationPlugin, PluginBlock } from './plugins';
import { configurationPlugin } from './plugins';
import { FILE_SCHEMA, RESERVED_KEYS, schemaProblems } from './schema';
import type { YamlFile } from './yaml-file';
import { readYamlFile } from './yaml-file';

/** Where a block is defined: inline, or in a file of its own (read on activation). */
export type BlockSource =
  | { readonly block: PluginBlock; readonly source: YamlFile }
  | { readonly path: string; readonly source: YamlFile };

/** The merged content of a configuration file and everything it includes. */
export interface SiteFiles {
  /** Every file read, in reading order (the main file first). */
  readonly files: string[];
  readonly blocks: Map<string, BlockSource>;
  readonly environments: Map<string, EnvironmentDefinition>;
}

/** `~` and `~/x` expanded, then resolved against `directory`. */
export function resolvePath(directory: string, path: string): string {
  const expanded = path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
  return resolve(directory, expanded);
}

/** How a block's plugin is found by name (see `pluginResolver`). */
export type PluginLookup = (name: string) => ConfigurationPlugin | undefined;

/**
 * Check a plugin block against its plugin's schema; an unknown plugin is a warning, not an error,
 * and an installed plugin that cannot be loaded is a problem located at the block.
 */
export function checkBlock(
  name: string,
  block: PluginBlock,
  source: YamlFile,
  base: readonly (string | number)[],
  warn: (message: string, plugin: string) => void,
  lookup: PluginLookup = configurationPlugin,
): ConfigurationProblem[] {
  let plugin: ConfigurationPlugin | undefined;
  try {
    plugin = lookup(block.plugin);
  } catch (error) {
    if (!(error instanceof PluginLoadError)) throw error;
    return [
      source.problem([...base, 'plugin'], `block ${name} names plugin '${block.plugin}': ${error.message}`),
    ];
  }
  if (!plugin) {
    const place = source.locate(base);
    warn(
      `Zocalo configuration plugin '${block.plugin}' missing: block ${name}` +
        ` (${source.file ?? '<string>'}${place ? `:${place.line}` : ''}) is kept but does nothing`,
      block.plugin,
    );
    return [];
  }
  return schemaProblems(plugin.schema, block, source, base);
}

/** Read one file (and, depth-first, what it includes), given as parsed text. */
export function readSiteFile(
  source: YamlFile,
  readInclude: (file: string) => YamlFile,
  warn: (message: string, plugin?: string) => void,
  stack: readonly string[] = [],
  lookup: PluginLookup = configurationPlugin,
): SiteFiles {
  const data = source.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigurationError(
      source.problem([], 'invalid configuration specified: expected a mapping starting with "version: 1"'),
    );
  }
  for (const warning of source.warnings) warn(warning);
  const content = data as Record<string, unknown>;
  const problems = schemaProblems(FILE_SCHEMA, content, source);
  const directory = source.file ? dirname(source.file) : process.cwd();
  const blocks = new Map<string, BlockSource>();
  for (const [name, value] of Object.entries(content)) {
    if (RESERVED_KEYS.includes(name)) continue;
    if (typeof value === 'string') {
      blocks.set(name, { path: resolvePath(directory, value), source });
    } else if (
      value !== null &&
      typeof value === 'object' &&
      typeof (value as PluginBlock).plugin === 'string'
    ) {
      problems.push(...checkBlock(name, value as PluginBlock, source, [name], warn, lookup));
      blocks.set(name, { block: value as PluginBlock, source });
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);

  let site: SiteFiles = {
    files: source.file ? [source.file] : [],
    blocks,
    environments: readEnvironments(source, content.environments),
  };
  const includes =
    typeof content.include === 'string' ? [content.include] : ((content.include ?? []) as string[]);
  const here = source.file ? [...stack, source.file] : stack;
  includes.forEach((include, index) => {
    const file = resolvePath(directory, include);
    const where = typeof content.include === 'string' ? ['include'] : ['include', index];
    if (here.includes(file)) {
      const cycle = [...here.slice(here.indexOf(file)), file].join(' → ');
      throw new ConfigurationError(source.problem(where, `include cycle: ${cycle}`));
    }
    let included: YamlFile;
    try {
      included = readInclude(file);
    } catch (error) {
      if (error instanceof ConfigurationError && error.file === file && error.line === undefined) {
        // The file itself cannot be read: say which include names it.
        throw new ConfigurationError(source.problem(where, `${error.problems[0].message}: ${file}`), {
          cause: error,
        });
      }
      throw error;
    }
    const sub = readSiteFile(included, readInclude, warn, here, lookup);
    site = {
      files: [...site.files, ...sub.files],
      blocks: new Map([...site.blocks, ...sub.blocks]),
      environments: mergeEnvironments(site.environments, sub.environments),
    };
  });
  return site;
}

/** Read a configuration file and everything it includes. */
export function readSiteFiles(
  file: string,
  warn: (message: string, plugin?: string) => void,
  lookup: PluginLookup = configurationPlugin,
): SiteFiles {
  return readSiteFile(
    readYamlFile(file),
    (include) => readYamlFile(include, 'included configuration file'),
    warn,
    [],
    lookup,
  );
}
