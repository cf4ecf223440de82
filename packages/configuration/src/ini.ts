/** The INI files of `--stomp-conf` (section `[stomp]`) and `--rabbit-conf` (section `[rabbit]`). */
import { readIniSection as readTransportIniSection, TransportConfigError } from '@zocalo/workflows';
import { ConfigurationError } from './errors';

/** The keys of one section of an INI file; a missing file or section is a ConfigurationError. */
export function readIniSection(
  file: string,
  section: string,
  keys: readonly string[],
): Record<string, string> {
  try {
    return readTransportIniSection(file, section, keys, `--${section}-conf`);
  } catch (error) {
    if (!(error instanceof TransportConfigError)) throw error;
    throw new ConfigurationError({ file, message: error.message }, { cause: error });
  }
}
