/**
 * What every broker-facing command shares: the options that choose the site configuration, the
 * environment and the transport (python-zocalo's `-e`, `--live`/`--test`, workflows' `-t` and
 * `--stomp-*` / `--rabbit-*`), loading them with @zocalo/configuration, a logger, and connecting
 * to the broker with a clear one-line error when it cannot be reached.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Configuration } from '@zocalo/configuration';
import {
  ConfigurationError,
  createLogger,
  environmentsFromFlags,
  knownTransport,
  knownTransports,
  levelFor,
  loadConfiguration,
} from '@zocalo/configuration';
import type { Logger, Transport, TransportSettings } from '@zocalo/workflows';
import { createTransport as createRegisteredTransport, setDefaultLogger } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './cli-error';
import type { CliIo } from './io';
import { collect } from './parameters';
import { loadTransportPackage, transportChoices } from './transport-packages';

/** The options {@link addSiteOptions} adds, as commander parses them. */
export interface SiteOptions {
  readonly config?: string;
  readonly environment?: string[];
  readonly live?: boolean;
  readonly test?: boolean;
  readonly transport?: string;
  readonly logLevel?: string;
  /** `-v` (true or 1), `-vv` (2), …: climbs the `verbose:` steps of the site's `logging` block. */
  readonly verbose?: boolean | number;
  readonly [flag: string]: unknown;
}

/** Every installed transport's flags (`--stomp-*`, `--rabbit-*`, a third party's), from their descriptors. */
export function transportOptions(): Option[] {
  const options: Option[] = [];
  for (const descriptor of knownTransports()) {
    const group = `${descriptor.description ?? descriptor.name} (-t ${descriptor.name}):`;
    for (const setting of descriptor.settings ?? []) {
      if (setting.flag) {
        options.push(
          new Option(
            `--${setting.flag} <${setting.placeholder ?? setting.key}>`,
            setting.help ?? `${setting.key} of the ${descriptor.name} transport`,
          ).helpGroup(group),
        );
      }
    }
    if (descriptor.iniFile) {
      options.push(
        new Option(
          `--${descriptor.iniFile.flag} <file>`,
          `INI file with a [${descriptor.iniFile.section}] section`,
        ).helpGroup(group),
      );
    }
  }
  return options;
}

/**
 * Add the configuration, environment, transport and logging options to a command. The transports'
 * own flags are accepted but listed by `zocalo help transport-options` only: they would double
 * every command's help.
 */
export function addSiteOptions(command: Command, options: { readonly testHelp?: string } = {}): Command {
  command
    .optionsGroup('Site options:')
    .option('--config <file>', 'site configuration file (default: $ZOCALO_CONFIG)')
    .option(
      '-e, --environment <name>',
      'activate this environment of the site configuration (repeatable)',
      collect,
    )
    .option('--live', 'activate the environment "live"')
    .option('--test', options.testHelp ?? 'activate the environment "test"')
    .option(
      '-t, --transport <name>',
      `transport: ${transportChoices()} (default: $ZOCALO_TRANSPORT, else the configuration)`,
    );
  const flags = transportOptions();
  for (const option of flags) command.addOption(option.hideHelp());
  return command
    .optionsGroup('Logging options:')
    .option('--log-level <level>', 'lowest log level on stderr (debug, info, warn, error)')
    .option('-v, --verbose', 'log more (level debug)')
    .addHelpText('after', `\nBroker options (${flagFamilies(flags)}): zocalo help transport-options`);
}

/** `--stomp-*, --rabbit-*`: the flag families of transport options. */
function flagFamilies(options: readonly Option[]): string {
  const families = new Set<string>();
  for (const option of options) families.add(`${option.long?.replace(/-[^-]*$/, '')}-*`);
  return [...families].join(', ');
}

/** How {@link loadSite} tells people where a command sends. */
export interface SiteAnnouncement {
  /**
   * Say on stderr, before connecting, which transport and broker the command uses and what chose
   * them (the `zocalo` face does; python-zocalo's dotted commands print nothing, as Python's).
   * Default true; a command's `--quiet` silences it.
   */
  readonly announce?: boolean;
  /**
   * The command sends and exits (`go`, `shutdown`, `dlq reinject`…): on the memory transport what it
   * sends is lost with the process, which it then warns about.
   */
  readonly sendsAndExits?: boolean;
}

/** A command's site: its configuration (flags applied) and logger. */
export interface Site {
  readonly configuration: Configuration;
  readonly logger: Logger;
  /** The transport's registry name. */
  readonly transportName: string;
  /** Create the configured transport (or one with `settings` instead of the site's), not yet connected. */
  createTransport(settings?: TransportSettings): Promise<Transport>;
  /** Which transport, where, and what chose it: the line a command announces on stderr. */
  describe(settings?: TransportSettings): string;
  /** Create and connect it; an unreachable broker is a one-line {@link CliError}. */
  connect(settings?: TransportSettings): Promise<Transport>;
}

/**
 * Load the site configuration for a command: the file (`--config` or `$ZOCALO_CONFIG`), the
 * environments asked for, the flags over it, and a logger (`defaultLevel` unless told otherwise)
 * that also becomes the process-wide default.
 */
export function loadSite(
  io: CliIo,
  command: string,
  options: SiteOptions,
  defaultLevel = 'warn',
  announcement: SiteAnnouncement = {},
): Site {
  const verbosity = typeof options.verbose === 'number' ? options.verbose : options.verbose ? 1 : 0;
  // Until the site's logging block is read (its warnings need a logger).
  const early = options.logLevel ?? (verbosity > 0 ? 'debug' : (io.env.ZOCALO_LOG_LEVEL ?? defaultLevel));
  let logger: Logger;
  try {
    logger = createLogger({ service: command, level: early });
  } catch (error) {
    throw new CliError(oneLine(error), EXIT_USAGE, { cause: error });
  }
  let configuration: Configuration;
  let level: string;
  try {
    const environments = environmentsFromFlags(options);
    configuration = loadConfiguration({
      file: options.config,
      env: io.env,
      environment: environments.length > 0 ? environments : defaultEnvironments(io),
      logger,
    }).withFlags(options);
    level =
      siteLevel(configuration, command, verbosity, options.logLevel, io.env.ZOCALO_LOG_LEVEL) ?? defaultLevel;
    if (configuration.graylog.length > 0) {
      logger = configuration.createLogger({ service: command, level, asDefault: false });
    } else if (level !== early) {
      logger = createLogger({ service: command, level });
    }
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new CliError(oneLine(error), EXIT_USAGE, { cause: error });
    }
    throw error;
  }
  setDefaultLogger(logger);
  const transportName = configuration.transport.name;
  const createTransport = async (settings?: TransportSettings): Promise<Transport> => {
    await loadTransportPackage(transportName);
    try {
      return settings === undefined
        ? await configuration.createTransport({ logger })
        : await createRegisteredTransport(transportName, { ...settings, logger });
    } catch (error) {
      throw new CliError(oneLine(error), EXIT_USAGE, { cause: error });
    }
  };
  const describe = (settings?: TransportSettings) =>
    describeTransport(configuration, settings ?? configuration.transport.settings);
  return {
    configuration,
    logger,
    transportName,
    createTransport,
    describe,
    async connect(settings?: TransportSettings) {
      const transport = await createTransport(settings);
      // After createTransport, which loaded the transport's package (and so its descriptor).
      const said = command.replace(/[._]/g, ' '); // zocalo.dlq_check → zocalo dlq check
      if (announcement.announce !== false && options.quiet !== true)
        io.stderr(`${said}: ${describe(settings)}\n`);
      if (announcement.sendsAndExits && transportName === 'memory') {
        io.stderr(
          `${said}: warning: the memory transport lives in this process only: what this ` +
            'command sends is gone when it exits. Name a broker: -t stomp|amqp, or a site configuration ' +
            '(--config or $ZOCALO_CONFIG)\n',
        );
      }
      try {
        await transport.connect();
      } catch (error) {
        throw new CliError(`cannot connect to the ${transportName} broker: ${oneLine(error)}`, EXIT_FAILURE, {
          cause: error,
        });
      }
      return transport;
    },
  };
}

/** Where the choice of transport came from, as {@link describeTransport} says it. */
function chosenBy(configuration: Configuration): string {
  const file = configuration.file;
  const environments =
    configuration.activeEnvironments.length === 0
      ? ''
      : `, environment ${configuration.activeEnvironments.join(', ')}`;
  const site = file === undefined ? undefined : `site configuration ${file}${environments}`;
  switch (configuration.transport.reason) {
    case '--transport':
      return `chosen by -t${site ? `; settings from ${site}` : ''}`;
    case 'ZOCALO_TRANSPORT':
      return `chosen by $ZOCALO_TRANSPORT${site ? `; settings from ${site}` : ''}`;
    case 'default':
      return site
        ? `the built-in default: ${site} chooses no transport`
        : 'the built-in default: no site configuration (--config or $ZOCALO_CONFIG), no -t, no $ZOCALO_TRANSPORT';
    default:
      return site
        ? `from ${site} (${configuration.transport.reason})`
        : `chosen by the ${configuration.transport.name} options given (no site configuration)`;
  }
}

/**
 * One line for people: `stomp (ActiveMQ over STOMP): 127.0.0.1:61613 as admin — the built-in
 * default: …`. The transport's descriptor says where (never a password); flags are included.
 */
export function describeTransport(configuration: Configuration, settings: TransportSettings): string {
  const name = configuration.transport.name;
  const descriptor = knownTransport(name);
  let where: string | undefined;
  try {
    where = descriptor?.describe?.(settings);
  } catch {
    // Settings the transport will refuse with its own clear error when it is made.
    where = undefined;
  }
  const what = descriptor?.description ? `${name} (${descriptor.description})` : name;
  return `${what}${where ? `: ${where}` : ''} — ${chosenBy(configuration)}`;
}

/**
 * `ZOCALO_DEFAULT_ENV`: the environments to activate when none is named (comma-separated), instead of
 * `default`. Undefined when unset, so that `default` applies.
 */
export function defaultEnvironments(io: CliIo): string[] | undefined {
  const names = (io.env.ZOCALO_DEFAULT_ENV ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.length > 0 ? names : undefined;
}

/**
 * A command's log level, as python-zocalo's logging plugin sets it: an explicit `--log-level` wins;
 * `-v`/`-vv` climb the `verbose:` steps of the site's `logging` block (debug when it has none);
 * else `ZOCALO_LOG_LEVEL`, else the block's level for the command's logger (`zocalo.service` →
 * `zocalo` → root). Undefined when nothing sets one.
 */
export function siteLevel(
  configuration: Configuration,
  command: string,
  verbosity: number,
  explicit: string | undefined,
  fromEnvironment: string | undefined,
): string | undefined {
  if (explicit !== undefined) return explicit;
  const logging = configuration.logging;
  if (verbosity > 0) {
    return logging && logging.verbose.length > 0 ? levelFor(logging, command, verbosity) : 'debug';
  }
  return fromEnvironment ?? levelFor(logging, command, 0);
}

/** Disconnect, never throwing (the command's outcome is already decided). */
export async function disconnectQuietly(transport: Transport | undefined, logger: Logger): Promise<void> {
  if (!transport) return;
  try {
    await transport.disconnect();
  } catch (error) {
    logger.warn({ err: error }, 'could not disconnect cleanly');
  }
}
