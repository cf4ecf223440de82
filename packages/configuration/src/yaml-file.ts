/**
 * One YAML file of a site configuration: its data, and where each key is in the text, so that every
 * error can name the file, the line and the key.
 */
import type { Alias, Document, Node, Pair } from 'yaml';
import {
  LineCounter,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
} from 'yaml';
import { NotARegularFileError, readRegularFile } from '@zocalo/workflows';
import type { ConfigurationProblem } from './errors';
import { ConfigurationError } from './errors';

/** A path into the data: keys of mappings and indexes of lists. */
export type KeyPath = readonly (string | number)[];

export interface YamlFile {
  /** Absolute path of the file, or undefined for a configuration given as a string. */
  readonly file?: string;
  /** The parsed data (plain objects, arrays and scalars). */
  readonly data: unknown;
  /** Where a key is in the file: the deepest part of `path` that exists. */
  locate(path: KeyPath): { line: number; column: number } | undefined;
  /** A problem located at `path` in this file. */
  problem(path: KeyPath, message: string): ConfigurationProblem;
  /** Warnings found while reading (duplicate keys). */
  readonly warnings: readonly string[];
}

/** Dotted form of a key path, as errors show it. */
export function keyName(path: KeyPath): string {
  return path.map(String).join('.');
}

function keyOf(pair: Pair<unknown, unknown>): string {
  return String(isScalar(pair.key) ? pair.key.value : pair.key);
}

/** The pair of a mapping with this key (the last one, as a later duplicate wins). */
function pairOf(node: unknown, key: string | number): Pair<unknown, unknown> | undefined {
  return isMap(node) ? node.items.findLast((pair) => keyOf(pair) === String(key)) : undefined;
}

/**
 * How far a file's aliases may expand (yaml's `maxAliasCount`): a "billion laughs" file, a few lines of
 * anchors full of aliases to anchors full of aliases, would otherwise expand to billions of values.
 */
const MAX_ALIAS_COUNT = 1000;

/**
 * The alias that makes yaml's conversion fail, for the error's line: the first that names no anchor
 * defined before it, or the one from which the aliases, expanded, pass {@link MAX_ALIAS_COUNT}
 * references (else the one expanding furthest). yaml says neither where nor which. Each anchor's
 * expansion is counted once, so this costs one pass over the file.
 */
function failingAlias(document: Document): { alias: Alias; message: string } | undefined {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  const costs = new Map<Node, number>();
  const expanding = new Set<Node>();
  // Alias references made by expanding a node.
  const cost = (node: unknown): number => {
    if (isAlias(node)) {
      const target = targets.get(node);
      return 1 + (target === undefined ? 0 : targetCost(target));
    }
    if (isPair(node)) return cost(node.key) + cost(node.value);
    if (isCollection(node)) return node.items.reduce<number>((sum, item) => sum + cost(item), 0);
    return 0;
  };
  const targetCost = (target: Node): number => {
    const known = costs.get(target);
    if (known !== undefined) return known;
    // An alias inside its own anchor is a cycle (yaml makes it a shared reference), not an expansion.
    if (expanding.has(target)) return 0;
    expanding.add(target);
    const computed = cost(target);
    expanding.delete(target);
    costs.set(target, computed);
    return computed;
  };
  let found: { alias: Alias; message: string } | undefined;
  let total = 0;
  let furthest: { alias: Alias; cost: number } | undefined;
  visit(document, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target === undefined) {
          found = {
            alias: node,
            message: `alias *${node.source} names no anchor (&${node.source}) before it`,
          };
          return visit.BREAK;
        }
        targets.set(node, target);
        const expanded = cost(node);
        total += expanded;
        if (furthest === undefined || expanded > furthest.cost) furthest = { alias: node, cost: expanded };
        if (total > MAX_ALIAS_COUNT) {
          found = tooMany(node);
          return visit.BREAK;
        }
      }
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor !== undefined) anchors.set(anchor, node);
      return undefined;
    },
  });
  return found ?? (furthest && tooMany(furthest.alias));
}

function tooMany(alias: Alias): { alias: Alias; message: string } {
  return {
    alias,
    message:
      `from *${alias.source} on, aliases expand to more than ${MAX_ALIAS_COUNT} references (anchors full ` +
      'of aliases, as in a "billion laughs" file); write the values out, or use fewer aliases',
  };
}

/**
 * Parse YAML text. PyYAML reads YAML 1.1, so this does too (`yes`, `on` and `off` are booleans, as in
 * the Python loader). A duplicate key is a warning and the later value wins, as in PyYAML.
 */
export function parseYaml(text: string, file?: string): YamlFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    version: '1.1',
    uniqueKeys: false,
    prettyErrors: false,
  });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate = (path: KeyPath) => {
    let node: unknown = document.contents;
    let offset: number | undefined = (node as Node | null)?.range?.[0];
    for (const segment of path) {
      if (isSeq(node)) {
        node = node.items[Number(segment)];
        offset = (node as Node | undefined)?.range?.[0] ?? offset;
        continue;
      }
      const pair = pairOf(node, segment);
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    }
    return at(offset);
  };
  const problem = (path: KeyPath, message: string): ConfigurationProblem => ({
    file,
    ...locate(path),
    key: path.length > 0 ? keyName(path) : undefined,
    message,
  });
  /** The keys of the innermost mapping entry that starts before `offset` and spans it (for parser errors). */
  const keysAt = (offset: number): string[] => {
    const path: string[] = [];
    let node: unknown = document.contents;
    while (isMap(node)) {
      const pair = node.items.find((item) => {
        const start = (item.key as Node | null)?.range?.[0];
        const end = (item.value as Node | null)?.range?.[2] ?? (item.key as Node | null)?.range?.[2];
        return start !== undefined && end !== undefined && start < offset && offset <= end;
      });
      if (!pair) break;
      path.push(keyOf(pair));
      node = pair.value;
    }
    return path;
  };
  if (document.errors.length > 0) {
    // The first error only: later ones are mostly the parser recovering from it.
    const [error] = document.errors;
    const path = keysAt(error.pos[0]);
    throw new ConfigurationError({
      file,
      ...at(error.pos[0]),
      key: path.length > 0 ? keyName(path) : undefined,
      message: `not valid YAML: ${error.message.split('\n')[0]}`,
    });
  }
  const warnings: string[] = [];
  const checkDuplicates = (node: unknown, path: (string | number)[]) => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = keyOf(pair);
        if (seen.has(key)) {
          const position = at((pair.key as Node | null)?.range?.[0]);
          warnings.push(
            `${file ?? '<string>'}${position ? `:${position.line}:${position.column}` : ''}: ` +
              `${keyName([...path, key])} is defined twice; the later definition wins`,
          );
        }
        seen.add(key);
        checkDuplicates(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => checkDuplicates(item, [...path, index]));
    }
  };
  checkDuplicates(document.contents, []);
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // An alias bomb or an alias without its anchor: yaml's ReferenceError names no place.
    const failing = failingAlias(document);
    const offset = failing?.alias.range?.[0];
    const path = offset === undefined ? [] : keysAt(offset);
    throw new ConfigurationError(
      {
        file,
        ...at(offset),
        key: path.length > 0 ? keyName(path) : undefined,
        message: `not valid YAML: ${failing?.message ?? (error as Error).message}`,
      },
      { cause: error },
    );
  }
  return { file, data, locate, problem, warnings };
}

/**
 * Read and parse a YAML file; a missing or unreadable file, or one that is not a regular file (a FIFO
 * would block the read for good), is a ConfigurationError naming it.
 */
export function readYamlFile(file: string, what = 'configuration file'): YamlFile {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (error) {
    const reason =
      error instanceof NotARegularFileError
        ? error.description
        : (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'not found'
          : (error as Error).message;
    throw new ConfigurationError(
      { file, message: `cannot read Zocalo ${what}: ${reason}` },
      { cause: error },
    );
  }
  return parseYaml(text, file);
}
