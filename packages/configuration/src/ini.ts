/** The INI files of `--stomp-conf` (section `[stomp]`) and `--rabbit-conf` (section `[rabbit]`). */
import { readFileSync } from 'node:fs';
import { parseIni } from '@zocalo/workflows';
import { ConfigurationError } from './errors';

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
