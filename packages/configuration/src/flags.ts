/**
 * Command-line flags over the site configuration: `--transport` picks the transport, `--stomp-*` and
 * `--rabbit-*` (wire-format.md) override the settings of the file's `stomp` and `pika` blocks, and
 * `--stomp-conf` / `--rabbit-conf` name an INI file read in between (file < INI < explicit flags, as
 * in python-workflows). `-e`/`--environment`, `--live` and `--test` choose environments. Flags are a
 * plain object as any argument parser produces: keys with or without leading dashes, kebab-case or
 * camelCase (`'--stomp-host'`, `'stomp-host'`, `stompHost`).
 */
import type { TransportSettings } from '@zocalo/workflows';
import { readIniSection } from './ini';
import { canonicalTransportName } from './plugins';

/** Parsed command-line flags. Unset flags are undefined (or absent). */
export type CommandLineFlags = Readonly<Record<string, unknown>>;

/** The `--stomp-*` flags and the STOMP setting each sets. */
export const STOMP_FLAGS: Readonly<Record<string, string>> = {
  'stomp-host': 'host',
  'stomp-port': 'port',
  'stomp-user': 'username',
  'stomp-pass': 'password',
  'stomp-prfx': 'prefix',
};

/** The `--rabbit-*` flags and the AMQP setting each sets. */
export const RABBIT_FLAGS: Readonly<Record<string, string>> = {
  'rabbit-host': 'host',
  'rabbit-port': 'port',
  'rabbit-user': 'username',
  'rabbit-pass': 'password',
  'rabbit-vhost': 'vhost',
};

/** Flag families: transport name, flags, INI flag and section. */
const FAMILIES = [
  { transport: 'stomp', flags: STOMP_FLAGS, conf: 'stomp-conf', section: 'stomp' },
  { transport: 'amqp', flags: RABBIT_FLAGS, conf: 'rabbit-conf', section: 'rabbit' },
] as const;

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

function numericPort(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
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
 * Transport settings with the flags merged over them: for each of `stomp` and `amqp`, the file's
 * settings, then the `[stomp]` / `[rabbit]` section of `--stomp-conf` / `--rabbit-conf`, then the
 * explicit `--stomp-*` / `--rabbit-*` flags. Transports without flags are returned as they were.
 */
export function mergeTransportFlags(
  transports: Readonly<Record<string, TransportSettings>>,
  flags: CommandLineFlags,
): Record<string, TransportSettings> {
  const named = normaliseFlags(flags);
  const result: Record<string, TransportSettings> = { ...transports };
  for (const family of FAMILIES) {
    const explicit: Record<string, unknown> = {};
    for (const [flag, setting] of Object.entries(family.flags)) {
      if (named[flag] !== undefined)
        explicit[setting] = setting === 'port' ? numericPort(named[flag]) : named[flag];
    }
    const conf = named[family.conf];
    const fromIni: Record<string, unknown> =
      typeof conf === 'string' && conf !== ''
        ? readIniSection(conf, family.section, [
            'host',
            'port',
            'username',
            'password',
            family.transport === 'stomp' ? 'prefix' : 'vhost',
          ])
        : {};
    if ('port' in fromIni) fromIni.port = numericPort(fromIni.port);
    if (Object.keys(explicit).length === 0 && Object.keys(fromIni).length === 0) continue;
    result[family.transport] = { ...transports[family.transport], ...fromIni, ...explicit };
  }
  return result;
}
