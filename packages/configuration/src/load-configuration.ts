/**
 * `loadConfiguration()`: python-zocalo's `zocalo.configuration.from_file()` followed by
 * `activate()`. Finds the file (`ZOCALO_CONFIG`), reads it and its includes, checks the schema,
 * activates the chosen environments (`default` when none is named and one is defined) and returns a
 * `Configuration`.
 */
import { resolve } from 'node:path';
import type { Logger } from '@zocalo/workflows';
import { getDefaultLogger } from '@zocalo/workflows';
import { Configuration } from './configuration';
import { ConfigurationError } from './errors';
import { flattenEnvironments } from './environments';
import type { ConfigurationPluginSearch, PluginBlock, PluginState } from './plugins';
import { canonicalTransportName, defaultPluginSearch, pluginResolver } from './plugins';
import { BLOCK_FILE_SCHEMA, schemaProblems } from './schema';
import type { BlockSource, PluginLookup, SiteFiles } from './site-files';
import { checkBlock, readSiteFile, readSiteFiles } from './site-files';
import { parseYaml, readYamlFile } from './yaml-file';

export interface LoadConfigurationOptions {
  /** The configuration file. Default: the environment variable `ZOCALO_CONFIG`. */
  readonly file?: string;
  /** Instead of a file: the YAML text itself (python-zocalo's `from_string`); includes resolve from `process.cwd()`. */
  readonly text?: string;
  /**
   * The process environment to read `ZOCALO_CONFIG` and `ZOCALO_TRANSPORT` (the transport's name,
   * chosen over the file's, below `--transport`) from. Default `process.env`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Environments to activate, in order (see `environmentsFromFlags` for `-e`, `--live`, `--test`).
   * Default: `default` when the file defines it, else none.
   */
  readonly environment?: string | readonly string[];
  /** Where warnings go (unknown plugins, duplicate keys). Default: the @zocalo/workflows default logger. */
  readonly logger?: Logger;
  /**
   * Where a plugin that no built-in or registered plugin provides is looked for: installed packages
   * declaring it in package.json (`"zocalo": { "configurationPlugins": { name: export } }`, or the
   * Python group `zocalo.configuration.plugins`). Default: the working directory's project and the
   * running script's installation; `false`: nowhere.
   */
  readonly plugins?: ConfigurationPluginSearch;
}

function blockFrom(
  name: string,
  source: BlockSource,
  warn: (message: string, plugin?: string) => void,
  files: string[],
  lookup: PluginLookup,
): PluginBlock {
  if ('block' in source) return source.block;
  // A block given as a path string: read it now that it is used (python-zocalo's _resolve).
  const file = readYamlFile(source.path, `configuration file of block ${name}`);
  files.push(source.path);
  for (const warning of file.warnings) warn(warning);
  const problems = schemaProblems(BLOCK_FILE_SCHEMA, file.data, file);
  if (problems.length > 0) {
    throw new ConfigurationError(
      problems.map((problem) => ({
        ...problem,
        message: `${problem.message} (block ${name} is read from this file)`,
      })),
    );
  }
  const block = file.data as PluginBlock;
  const blockProblems = checkBlock(name, block, file, [], warn, lookup);
  if (blockProblems.length > 0) throw new ConfigurationError(blockProblems);
  return block;
}

/** Activate environments of read site files, in order. */
function activate(
  site: SiteFiles,
  requested: readonly string[] | undefined,
  warn: (message: string, plugin?: string) => void,
  lookup: PluginLookup,
  main?: string,
): Configuration {
  const flat = flattenEnvironments(site.environments, (name) => site.blocks.has(name));
  const environments = requested ?? (flat.has('default') ? ['default'] : []);
  const state: PluginState = { transports: {}, graylog: [], storage: {}, results: {} };
  const blocks: Record<string, PluginBlock> = {};
  const files = [...site.files];
  for (const environment of environments) {
    const names = flat.get(environment);
    if (!names) {
      const defined = [...flat.keys()].sort();
      throw new ConfigurationError({
        file: main,
        key: 'environments',
        message: `environment '${environment}' is not defined${defined.length > 0 ? `; defined: ${defined.join(', ')}` : ''}`,
      });
    }
    for (const name of names) {
      const block = blockFrom(name, site.blocks.get(name) as BlockSource, warn, files, lookup);
      blocks[name] = block;
      const plugin = lookup(block.plugin);
      const { plugin: _plugin, ...rest } = block;
      state.results[block.plugin] = plugin ? plugin.activate(block, state) : rest;
    }
  }
  const graylog = [...state.graylog, ...(state.logging?.graylog ?? [])];
  return new Configuration({
    file: main,
    files,
    environments: [...flat.keys()],
    activeEnvironments: environments,
    blocks,
    plugins: state.results,
    transports: state.transports,
    defaultTransport: state.defaultTransport,
    logging: state.logging,
    graylog,
    storage: state.storage,
    warnings: [],
  });
}

/**
 * Load and activate the site configuration. With neither `file`, `text` nor `ZOCALO_CONFIG` the
 * configuration is empty (python-zocalo does the same): the default transport with its defaults.
 * Errors are `ConfigurationError`s naming the file, line and key.
 */
export function loadConfiguration(options: LoadConfigurationOptions = {}): Configuration {
  const logger = options.logger ?? getDefaultLogger();
  const warnings: string[] = [];
  const warnedPlugins = new Set<string>();
  const warn = (message: string, plugin?: string) => {
    if (plugin !== undefined) {
      if (warnedPlugins.has(plugin)) return;
      warnedPlugins.add(plugin);
    }
    warnings.push(message);
    logger.warn({ plugin }, message);
  };
  const file =
    options.file ?? (options.text === undefined ? (options.env ?? process.env).ZOCALO_CONFIG : undefined);
  const requested =
    options.environment === undefined
      ? undefined
      : typeof options.environment === 'string'
        ? [options.environment]
        : [...options.environment];

  const lookup = pluginResolver(options.plugins ?? defaultPluginSearch());
  let site: SiteFiles;
  if (options.text !== undefined) {
    site = readSiteFile(
      parseYaml(options.text),
      (include) => readYamlFile(include, 'included configuration file'),
      warn,
      [],
      lookup,
    );
  } else if (file) {
    site = readSiteFiles(resolve(file), warn, lookup);
  } else {
    site = { files: [], blocks: new Map(), environments: new Map() };
  }
  const configuration = activate(site, requested, warn, lookup, site.files[0]);
  const envTransport = (options.env ?? process.env).ZOCALO_TRANSPORT?.trim();
  return new Configuration({
    ...configuration,
    envTransport: envTransport ? canonicalTransportName(envTransport) : undefined,
    warnings,
  });
}
