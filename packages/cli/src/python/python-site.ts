/**
 * The options every python-zocalo command adds before its own: the site configuration's
 * `-e/--environment ENV` (repeatable, only the environments the site file defines, as
 * `Configuration.add_command_line_options`), python-workflows' `-t/--transport TRN` where the Python
 * tool takes one, and each transport's flags (`--stomp-host`, `--rabbit-conf`, … from the transports'
 * descriptors, as `workflows.transport.add_command_line_options`). {@link pythonSite} then loads the
 * site as the `zocalo` face does, from what was parsed.
 */
import type { ArgumentParser, Namespace } from 'argparse';
import { knownTransports, loadConfiguration } from '@zocalo/configuration';
import { registeredTransports } from '@zocalo/workflows';
import type { CliIo } from '../io';
import type { Site, SiteOptions } from '../site';
import { loadSite } from '../site';

/** The environments the site file (`$ZOCALO_CONFIG`) defines: Python offers only these to `-e`. */
export function siteEnvironments(io: CliIo): readonly string[] {
  if (!io.env.ZOCALO_CONFIG) return [];
  return loadConfiguration({ env: io.env, environment: [] }).environments;
}

export interface PythonSiteOptions {
  /** Add python-workflows' `-t/--transport` (the tools that pass `transport_argument=True`, and zocalo.go). */
  readonly transportArgument?: boolean;
  /** Environments for `-e` (default: {@link siteEnvironments}). */
  readonly environments?: readonly string[];
  /** False for a tool without python-workflows' transport flags (zocalo.configure_rabbitmq). */
  readonly transports?: false;
}

/** Add `-e`, optionally `-t`, and every known transport's flags, as the Python tools do. */
export function addPythonSiteOptions(
  parser: ArgumentParser,
  io: CliIo,
  options: PythonSiteOptions = {},
): void {
  const environments = [...(options.environments ?? siteEnvironments(io))].sort();
  parser.add_argument('-e', '--environment', {
    dest: 'environment',
    metavar: 'ENV',
    action: 'append',
    default: [],
    choices: environments,
    help: `Enable site-specific settings. Choices are: ${environments.filter((name) => name !== 'default').join(', ')}`,
  });
  if (options.transportArgument) {
    parser.add_argument('-t', '--transport', {
      dest: 'transport',
      metavar: 'TRN',
      help: `Transport mechanism. Known mechanisms: ${registeredTransports().join(', ')} (default: from the site configuration)`,
    });
  }
  if (options.transports === false) return;
  for (const descriptor of knownTransports()) {
    for (const setting of descriptor.settings ?? []) {
      if (!setting.flag) continue;
      parser.add_argument(`--${setting.flag}`, {
        dest: flagDest(setting.flag),
        metavar: (setting.placeholder ?? setting.key).toUpperCase(),
        help: setting.help ?? `${setting.key} of the ${descriptor.name} transport`,
      });
    }
    if (descriptor.iniFile) {
      parser.add_argument(`--${descriptor.iniFile.flag}`, {
        dest: flagDest(descriptor.iniFile.flag),
        metavar: 'FILE',
        help: `INI file with a [${descriptor.iniFile.section}] section`,
      });
    }
  }
}

/** argparse's destination for a flag: `stomp-host` → `stomp_host`. */
function flagDest(flag: string): string {
  return flag.replace(/-/g, '_');
}

/**
 * The site a parsed Python command line asks for: the environments of `-e`, the transport of `-t`
 * and the transport flags over the site file, with a logger at `defaultLevel`.
 */
export function pythonSite(
  io: CliIo,
  prog: string,
  parsed: Namespace,
  defaultLevel = 'warn',
  logging: Pick<SiteOptions, 'verbose' | 'logLevel'> = {},
): Site {
  const flags: Record<string, unknown> = {};
  for (const descriptor of knownTransports()) {
    const names = [
      ...(descriptor.settings ?? []).flatMap((setting) => (setting.flag ? [setting.flag] : [])),
      ...(descriptor.iniFile ? [descriptor.iniFile.flag] : []),
    ];
    for (const flag of names) {
      const value: unknown = parsed[flagDest(flag)];
      if (value !== undefined && value !== null) flags[flag] = value;
    }
  }
  const environment = parsed.environment as string[] | undefined;
  const options: SiteOptions = {
    ...flags,
    environment: environment && environment.length > 0 ? environment : undefined,
    transport: typeof parsed.transport === 'string' ? parsed.transport : undefined,
    ...logging,
  };
  // Python's commands print nothing about their transport: neither do these.
  return loadSite(io, prog, options, defaultLevel, { announce: false });
}
