import type { TransportSettings } from './registry';

/**
 * Gather transport options from registry settings (a site configuration block with plain names, or
 * command-line flag names): each option takes the last of its accepted names that is set, and the
 * tuning names are copied as they are.
 */
export function pickSettings(
  settings: TransportSettings,
  names: ReadonlyArray<readonly [option: string, names: readonly string[]]>,
  tuning: readonly string[],
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [option, accepted] of names) {
    for (const name of accepted) {
      if (settings[name] !== undefined && settings[name] !== null) options[option] = settings[name];
    }
  }
  for (const name of tuning) {
    if (settings[name] !== undefined) options[name] = settings[name];
  }
  return options;
}
