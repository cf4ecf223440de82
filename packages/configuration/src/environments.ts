/**
 * `environments:`: names for lists of plugin blocks. As in python-zocalo an environment is a list of
 * block names (the group `plugins`), a mapping of groups (each a block name or a list of them), or
 * the name of another environment (an alias). Activation order: groups alphabetically, `plugins`
 * last, duplicates dropped. Across included files a named group is replaced and `plugins` lists are
 * joined (python-zocalo's contrib/site-configuration.yml).
 */
import type { ConfigurationProblem } from './errors';
import { ConfigurationError } from './errors';
import { RESERVED_KEYS } from './schema';
import type { KeyPath, YamlFile } from './yaml-file';

/** A block name in an environment, with where it was written. */
export interface EnvironmentEntry {
  readonly block: string;
  readonly source: YamlFile;
  readonly path: KeyPath;
}

/** One environment as written: an alias, or groups of block names. */
export type EnvironmentDefinition =
  | { readonly alias: string; readonly source: YamlFile; readonly path: KeyPath }
  | {
      readonly groups: Readonly<Record<string, readonly EnvironmentEntry[]>>;
      readonly source: YamlFile;
      readonly path: KeyPath;
    };

/** Read the `environments:` of one (schema-checked) file. */
export function readEnvironments(
  source: YamlFile,
  environments: unknown,
): Map<string, EnvironmentDefinition> {
  const result = new Map<string, EnvironmentDefinition>();
  for (const [name, value] of Object.entries((environments ?? {}) as Record<string, unknown>)) {
    const path = ['environments', name];
    if (typeof value === 'string') {
      result.set(name, { alias: value, source, path });
      continue;
    }
    const groups: Record<string, EnvironmentEntry[]> = {};
    const entries = (group: KeyPath, list: unknown): EnvironmentEntry[] =>
      typeof list === 'string'
        ? [{ block: list, source, path: group }]
        : (list as string[]).map((block, index) => ({ block, source, path: [...group, index] }));
    if (Array.isArray(value)) groups.plugins = entries(path, value);
    else
      for (const [group, list] of Object.entries(value as Record<string, unknown>))
        groups[group] = entries([...path, group], list);
    result.set(name, { groups, source, path });
  }
  return result;
}

/** An included file's environments over the including file's: named groups replace, `plugins` joins. */
export function mergeEnvironments(
  base: Map<string, EnvironmentDefinition>,
  over: Map<string, EnvironmentDefinition>,
): Map<string, EnvironmentDefinition> {
  const result = new Map(base);
  for (const [name, definition] of over) {
    const earlier = result.get(name);
    if (!earlier || 'alias' in earlier || 'alias' in definition) {
      result.set(name, definition);
      continue;
    }
    const groups: Record<string, readonly EnvironmentEntry[]> = { ...earlier.groups, ...definition.groups };
    if (earlier.groups.plugins && definition.groups.plugins)
      groups.plugins = [...earlier.groups.plugins, ...definition.groups.plugins];
    result.set(name, { groups, source: definition.source, path: definition.path });
  }
  return result;
}

/**
 * Every environment as the ordered, de-duplicated list of block names it activates, aliases resolved.
 * A dangling or circular alias, or a name that is not a defined block, is a ConfigurationError.
 */
export function flattenEnvironments(
  environments: Map<string, EnvironmentDefinition>,
  isBlock: (name: string) => boolean,
): Map<string, string[]> {
  const problems: ConfigurationProblem[] = [];
  const flat = new Map<string, string[]>();
  for (const [name, definition] of environments) {
    if ('alias' in definition) continue;
    const order = Object.keys(definition.groups)
      .filter((group) => group !== 'plugins')
      .sort();
    order.push('plugins');
    const blocks: string[] = [];
    for (const group of order) {
      for (const entry of definition.groups[group] ?? []) {
        if (RESERVED_KEYS.includes(entry.block)) {
          problems.push(
            entry.source.problem(entry.path, `environment ${name} references reserved name ${entry.block}`),
          );
        } else if (!isBlock(entry.block)) {
          problems.push(
            entry.source.problem(
              entry.path,
              `environment ${name} references undefined plugin ${entry.block}`,
            ),
          );
        } else if (!blocks.includes(entry.block)) {
          blocks.push(entry.block);
        }
      }
    }
    flat.set(name, blocks);
  }
  for (const [name, definition] of environments) {
    if (!('alias' in definition)) continue;
    const chain = [name];
    let target: EnvironmentDefinition | undefined = definition;
    while (target && 'alias' in target) {
      const next: string = target.alias;
      if (chain.includes(next)) {
        problems.push(
          definition.source.problem(
            definition.path,
            `circular environment definitions: ${[...chain, next].join(' → ')}`,
          ),
        );
        target = undefined;
        break;
      }
      chain.push(next);
      target = environments.get(next);
      if (!target)
        problems.push(
          definition.source.problem(
            definition.path,
            `environment ${name} aliases undefined environment ${next}`,
          ),
        );
    }
    if (target) flat.set(name, flat.get(chain[chain.length - 1]) ?? []);
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return flat;
}
