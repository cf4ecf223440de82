/** A transport's INI file (`--stomp-conf`, section `[stomp]`; `--rabbit-conf`, section `[rabbit]`). */
import { readIniSection as readTransportIniSection, TransportConfigError } from '@zocalo/workflows';
import { ConfigurationError } from './errors';

/**
 * The keys of one section of an INI file, named by `flag` (without dashes) in errors; a missing file
 * or section is a ConfigurationError.
 */
export function readIniSection(
  file: string,
  section: string,
  keys: readonly string[],
  flag: string,
): Record<string, string> {
  try {
    return readTransportIniSection(file, section, keys, `--${flag}`);
  } catch (error) {
    if (!(error instanceof TransportConfigError)) throw error;
    throw new ConfigurationError({ file, message: error.message }, { cause: error });
  }
}
