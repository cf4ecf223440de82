/**
 * The INI subset python-workflows' `--stomp-conf` files use, read the way Python's `configparser`
 * reads them: `[section]` headers, `key = value` or `key: value`, keys case-insensitive, `#` and `;`
 * comment lines, indented continuation lines, and `%%` / `%(key)s` interpolation (ConfigParser's
 * default), so that a file shared with Python services means the same here.
 */

import { TransportConfigError } from './errors';
import { NotARegularFileError, readRegularFile } from './regular-file';

export type IniSections = Record<string, Record<string, string>>;

/**
 * The given keys of one section of an INI file (python-workflows' `--stomp-conf` / `--rabbit-conf`),
 * those present only. An unreadable file, a malformed one or a missing section is a
 * {@link TransportConfigError} naming the file; `who` (e.g. `stomp transport`) starts its message.
 */
export function readIniSection(
  path: string,
  section: string,
  keys: readonly string[],
  who: string,
): Record<string, string> {
  let text: string;
  try {
    text = readRegularFile(path);
  } catch (error) {
    const reason = error instanceof NotARegularFileError ? error.description : (error as Error).message;
    throw new TransportConfigError(
      `${who}: cannot read configuration file ${path} (${reason}); check the path`,
      { cause: error },
    );
  }
  let found: Record<string, string> | undefined;
  try {
    found = parseIni(text)[section];
  } catch (error) {
    throw new TransportConfigError(`${who}: ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!found) {
    throw new TransportConfigError(`${who}: configuration file ${path} has no [${section}] section`);
  }
  return Object.fromEntries(keys.filter((key) => found[key] !== undefined).map((key) => [key, found[key]]));
}

/** Parse INI text into sections of lower-cased keys. Later duplicates win. */
export function parseIni(text: string): IniSections {
  const raw: IniSections = {};
  let section: Record<string, string> | undefined;
  let lastKey: string | undefined;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      if (trimmed === '') lastKey = undefined;
      continue;
    }
    if (/^\s/.test(line) && section && lastKey !== undefined) {
      section[lastKey] += `\n${trimmed}`;
      continue;
    }
    const header = /^\[([^\]]+)\]/.exec(trimmed);
    if (header) {
      section = raw[header[1].trim()] ??= {};
      lastKey = undefined;
      continue;
    }
    const match = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (match && section) {
      lastKey = match[1].toLowerCase();
      section[lastKey] = match[2];
    }
  }
  const defaults = raw.DEFAULT ?? {};
  const result: IniSections = {};
  for (const [name, values] of Object.entries(raw)) {
    const scope = { ...defaults, ...values };
    result[name] = {};
    for (const key of Object.keys(scope)) result[name][key] = interpolate(scope, key, 0);
  }
  return result;
}

function interpolate(scope: Record<string, string>, key: string, depth: number): string {
  if (depth > 10) throw new Error(`INI interpolation of "${key}" is too deep (a reference loop?)`);
  return scope[key].replace(/%(%|\(([^)]+)\)s)/g, (whole: string, what: string, name?: string) => {
    if (what === '%') return '%';
    const ref = name!.toLowerCase();
    if (scope[ref] === undefined) throw new Error(`INI value "${key}" refers to missing key "${ref}"`);
    return interpolate(scope, ref, depth + 1);
  });
}
