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

/**
 * The first of `names` that is set in `settings` as non-empty text (a number counts, as text): a
 * setting that a site block, a flag or python-zocalo's spelling may each name.
 */
export function settingText(
  settings: Readonly<Record<string, unknown>>,
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    const value = settings[name];
    if (typeof value === 'string' && value.length > 0) return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}
