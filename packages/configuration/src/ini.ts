/** The INI files of `--stomp-conf` (section `[stomp]`) and `--rabbit-conf` (section `[rabbit]`). */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from './errors';

/** Minimal INI reader: `[section]`, `key = value` or `key: value`, `#` and `;` comments. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = sections[header[1].trim()] ??= {};
      continue;
    }
    const entry = /^([^=:]+)[=:](.*)$/.exec(line);
    if (entry && current) current[entry[1].trim().toLowerCase()] = entry[2].trim();
  }
  return sections;
}

/** The keys of one section of an INI file; a missing file or section is a ConfigurationError. */
export function readIniSection(
  file: string,
  section: string,
  keys: readonly string[],
): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigurationError(
      { file, message: `cannot read the [${section}] settings file: ${(error as Error).message}` },
      {
        cause: error,
      },
    );
  }
  const found = parseIni(text)[section];
  if (!found) throw new ConfigurationError({ file, message: `has no [${section}] section` });
  return Object.fromEntries(keys.filter((key) => found[key] !== undefined).map((key) => [key, found[key]]));
}
