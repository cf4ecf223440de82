/**
 * Command-line flags over the site configuration: `--transport` picks the transport, and each
 * transport's flags, from its descriptor (`--stomp-*` and `--rabbit-*`, wire-format.md), override the
 * settings of the file's blocks, with its INI file (`--stomp-conf` / `--rabbit-conf`) read in between
 * (file < INI < explicit flags, as in python-workflows). `-e`/`--environment`, `--live` and `--test`
 * choose environments. Flags are a plain object as any argument parser produces: keys with or without
 * leading dashes, kebab-case or camelCase (`'--stomp-host'`, `'stomp-host'`, `stompHost`).
 */
import type { TransportSettings } from '@zocalo/workflows';
import { readIniSection } from './ini';
import { canonicalTransportName, settingValue } from './plugins';
import { knownTransport, knownTransports } from './transports';

/** Parsed command-line flags. Unset flags are undefined (or absent). */
export type CommandLineFlags = Readonly<Record<string, unknown>>;

/** A transport's flags (without dashes) and the setting each sets, from its descriptor. */
export function transportFlagSettings(transport: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const setting of knownTransport(transport)?.settings ?? [])
    if (setting.flag) result[setting.flag] = setting.key;
  return result;
}

/** The `--stomp-*` flags and the STOMP setting each sets. */
export const STOMP_FLAGS: Readonly<Record<string, string>> = transportFlagSettings('stomp');

/** The `--rabbit-*` flags and the AMQP setting each sets. */
export const RABBIT_FLAGS: Readonly<Record<string, string>> = transportFlagSettings('amqp');

/** `--stompHost` / `stompHost` / `stomp-host` → `stomp-host`. */
function flagName(key: string): string {
  return key
    .replace(/^-+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

/** The flags under their kebab-case names, unset ones dropped. */
export function normaliseFlags(flags: CommandLineFlags): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags))
    if (value !== undefined && value !== null) result[flagName(key)] = value;
  return result;
}

/** The transport named by `--transport` (or `-t`), in registry terms (`PikaTransport` → `amqp`). */
export function transportFromFlags(flags: CommandLineFlags): string | undefined {
  const named = normaliseFlags(flags);
  const value = named.transport ?? named.t;
  return typeof value === 'string' && value.trim() !== '' ? canonicalTransportName(value) : undefined;
}

/**
 * Environments the flags ask for: `-e`/`--environment` (one or a list, as python-zocalo's repeated
 * `-e ENV`), then `--live` and `--test` for the environments of those names.
 */
export function environmentsFromFlags(flags: CommandLineFlags): string[] {
  const named = normaliseFlags(flags);
  const given = named.environment ?? named.e;
  const list = (Array.isArray(given) ? given : given === undefined ? [] : [given]).map(String);
  if (named.live === true) list.push('live');
  if (named.test === true) list.push('test');
  return [...new Set(list)];
}

/**
 * Transport settings with the flags merged over them: for each transport whose descriptor has flags
 * (`stomp`, `amqp`), the file's settings, then the section of its INI file (`[stomp]` of
 * `--stomp-conf`, `[rabbit]` of `--rabbit-conf`), then its explicit flags (`--stomp-*`,
 * `--rabbit-*`). Transports without flags given are returned as they were.
 */
export function mergeTransportFlags(
  transports: Readonly<Record<string, TransportSettings>>,
  flags: CommandLineFlags,
): Record<string, TransportSettings> {
  const named = normaliseFlags(flags);
  const result: Record<string, TransportSettings> = { ...transports };
  for (const descriptor of knownTransports()) {
    const settings = descriptor.settings ?? [];
    const explicit: Record<string, unknown> = {};
    for (const setting of settings) {
      if (setting.flag && named[setting.flag] !== undefined)
        explicit[setting.key] = settingValue(setting.type, named[setting.flag]);
    }
    const ini = descriptor.iniFile;
    const conf = ini ? named[ini.flag] : undefined;
    const fromIni: Record<string, unknown> = {};
    if (ini && typeof conf === 'string' && conf !== '') {
      const read = readIniSection(
        conf,
        ini.section,
        settings.filter((setting) => setting.ini).map((setting) => setting.key),
        ini.flag,
      );
      // INI values are text: ports become numbers, as from a flag.
      for (const setting of settings)
        if (setting.key in read) fromIni[setting.key] = settingValue(setting.type, read[setting.key]);
    }
    if (Object.keys(explicit).length === 0 && Object.keys(fromIni).length === 0) continue;
    result[descriptor.name] = { ...transports[descriptor.name], ...fromIni, ...explicit };
  }
  return result;
}
