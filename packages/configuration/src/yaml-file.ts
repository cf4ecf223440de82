/**
 * One YAML file of a site configuration: its data, and where each key is in the text, so that every
 * error can name the file, the line and the key.
 */
import type { Node, Pair } from 'yaml';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
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
  return { file, data: document.toJS({ maxAliasCount: 1000 }), locate, problem, warnings };
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
