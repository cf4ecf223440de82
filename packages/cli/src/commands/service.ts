/**
 * `zocalo service <name>`: run one service on the configured transport until it is told to stop
 * (python-zocalo's `zocalo.service`). SIGTERM / SIGINT or a shutdown command stop it gracefully and
 * the command exits 0; a service that fails exits 1.
 */
import type { Command } from 'commander';
import type { EntryPointSearch, ServiceDefinition, ServiceRuntimeOptions } from '@zocalo/workflows';
import {
  DEFAULT_MAX_OUTPUT_BYTES_PER_MESSAGE,
  DEFAULT_MAX_OUTPUTS_PER_MESSAGE,
  LIVENESS_DEFAULTS,
  extendedStatus,
  ServiceRuntime,
  ZOCALO_ERROR_CODES,
  findEntryPoints,
  isZocaloError,
  loadEntryPoint,
  runWithRestart,
} from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, oneLine } from '../cli-error';
import type { CliIo } from '../io';
import { collect, parseParameters } from '../parameters';
import type { ServiceFactoryContext, ServiceSource } from '../services';
import { findService, knownServices, makeService } from '../services';
import type { Site, SiteOptions } from '../site';
import { addSiteOptions, loadSite } from '../site';

/** python-workflows' `--metrics-port` default. */
export const PYTHON_METRICS_PORT = 8080;

interface ServiceCommandOptions extends SiteOptions {
  readonly list?: boolean;
  readonly storage?: string[];
  readonly metrics?: boolean;
  readonly metricsPort?: string;
  readonly metricsSource?: string;
  readonly restart?: boolean;
  readonly tag?: string;
  readonly liveness?: boolean;
  readonly livenessPort?: string;
  readonly livenessTimeout?: string;
  readonly concurrency?: string;
  readonly maxOutputsPerMessage?: string;
  readonly maxOutputBytesPerMessage?: string;
}

export function whole(value: string | undefined, name: string, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) {
    throw new CliError(`--${name} must be a whole number >= ${minimum}, got "${value}"`);
  }
  return number;
}

/** The factory context of a command's site. */
export function factoryContext(
  site: Site,
  search: EntryPointSearch,
  overrides: Record<string, unknown>,
): ServiceFactoryContext {
  return {
    storage: { ...site.configuration.storage, ...overrides },
    configuration: site.configuration,
    logger: site.logger,
    loadEntryPoints: async (group) => {
      const loaded: Array<{ name: string; value: unknown }> = [];
      for (const entry of findEntryPoints(group, search)) {
        loaded.push({ name: entry.name, value: await loadEntryPoint(entry) });
      }
      return loaded;
    },
  };
}

/** What the runtime is given besides the transport, the logger and the signals. */
export type ServiceRunOptions = Omit<ServiceRuntimeOptions, 'transport' | 'logger' | 'signals'>;

/**
 * Run a service found by {@link findService} on a site's transport until it is told to stop, with
 * python-zocalo's extended status fields (see {@link extendedStatus}) and, with `restart`, started
 * again with back-off when it fails: what `zocalo service` and `zocalo.service` share. A failure is
 * a one-line {@link CliError} (exit 1).
 */
export async function runServiceFromSite(
  name: string,
  source: ServiceSource,
  site: Site,
  context: ServiceFactoryContext,
  options: ServiceRunOptions & {
    readonly restart?: boolean;
    readonly tag?: string;
    readonly env: CliIo['env'];
  },
): Promise<void> {
  const { restart, tag, env, ...runtimeOptions } = options;
  const statusFields = { ...(await extendedStatus({ env, tag })), ...runtimeOptions.statusFields };
  const runOnce = async (): Promise<void> => {
    const service: ServiceDefinition = await makeService(source, context);
    const runtime = new ServiceRuntime(service, {
      ...runtimeOptions,
      statusFields,
      transport: await site.createTransport(),
      logger: site.logger,
      signals: true,
    });
    await runtime.run();
  };
  try {
    if (!restart) await runOnce();
    else {
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        await runWithRestart(runOnce, { signal: stop.signal });
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    const connection =
      isZocaloError(error, ZOCALO_ERROR_CODES.ConnectionError) ||
      isZocaloError(error, ZOCALO_ERROR_CODES.DisconnectedError);
    throw new CliError(
      connection
        ? `cannot connect to the ${site.transportName} broker: ${oneLine(error)}`
        : `service ${name} failed: ${oneLine(error)}`,
      EXIT_FAILURE,
      { cause: error },
    );
  }
}

/** The liveness endpoint of `--liveness`, `--liveness-port` and `--liveness-timeout`, or none. */
export function livenessOption(
  enabled: boolean | undefined,
  port: number | undefined,
  timeout: number | undefined,
): ServiceRunOptions['liveness'] {
  if (!enabled) return undefined;
  return { port: port ?? LIVENESS_DEFAULTS.port, timeout: timeout ?? LIVENESS_DEFAULTS.timeout };
}

export function registerService(program: Command, io: CliIo, search: () => EntryPointSearch): void {
  const command = program
    .command('service')
    .summary('run a service until it is told to stop')
    .description(
      'Run a service: one found among installed packages (see --list), or the service a module exports ' +
        '(./my-service.js, or ./services.js#Name). SIGTERM, SIGINT or `zocalo shutdown` stop it gracefully.',
    )
    .argument('[name]', 'service name, or a module path')
    .option('-l, --list', 'list the services of installed packages')
    .option(
      '-s, --storage <key=value>',
      'set a storage value of the site configuration, e.g. zocalo.recipe_directory=./recipes (repeatable)',
      collect,
    )
    .option('--concurrency <n>', 'messages handled at once (default 1)')
    .option(
      '--max-outputs-per-message <n>',
      `most messages the handling of one message may send; beyond, the message is dead-lettered (default ${DEFAULT_MAX_OUTPUTS_PER_MESSAGE})`,
    )
    .option(
      '--max-output-bytes-per-message <bytes>',
      `most bytes the handling of one message may send, in all (default ${DEFAULT_MAX_OUTPUT_BYTES_PER_MESSAGE}: 256 MiB)`,
    )
    .option(
      '-m, --metrics',
      `serve Prometheus metrics at /metrics on --metrics-port (default ${PYTHON_METRICS_PORT})`,
    )
    .option('--metrics-port <port>', 'serve Prometheus metrics at /metrics on this port')
    .option(
      '--metrics-source <source>',
      'the source label of the workflows_* metrics (python-workflows writes <module>:<class>; default the service class)',
    )
    .option('--restart', 'restart the service with back-off when it fails')
    .option('--tag <tag>', 'a tag of this instance, sent in its status broadcasts (python-zocalo)')
    .option(
      '--liveness',
      `serve a liveness endpoint on --liveness-port (default ${LIVENESS_DEFAULTS.port}): 200 while the main loop turns, 503 once stuck`,
    )
    .option('--liveness-port <port>', 'port of the liveness endpoint (implies --liveness)')
    .option(
      '--liveness-timeout <seconds>',
      `how long the main loop may be stuck before liveness fails (default ${LIVENESS_DEFAULTS.timeout})`,
    );
  addSiteOptions(command);
  command.action(async (name: string | undefined, options: ServiceCommandOptions) => {
    if (options.list) {
      const services = knownServices(search());
      if (services.length === 0) io.stdout('No services found among installed packages.\n');
      const width = Math.max(0, ...services.map((service) => service.name.length));
      for (const service of services) io.stdout(`${service.name.padEnd(width)}  ${service.packageName}\n`);
      return;
    }
    if (!name)
      throw new CliError(
        'Give the name of a service to run (zocalo service --list shows them) or a module path.',
      );
    const overrides = parseParameters(options.storage ?? []);
    const concurrency = whole(options.concurrency, 'concurrency', 1);
    const metricsPort =
      whole(options.metricsPort, 'metrics-port', 0) ?? (options.metrics ? PYTHON_METRICS_PORT : undefined);
    const maxOutputsPerMessage = whole(options.maxOutputsPerMessage, 'max-outputs-per-message', 1);
    const maxOutputBytesPerMessage = whole(
      options.maxOutputBytesPerMessage,
      'max-output-bytes-per-message',
      1,
    );
    const source = findService(name, search());
    const site = loadSite(io, `zocalo.service`, options, 'info');
    io.stderr(`zocalo service: ${site.describe()}\n`);
    const context = factoryContext(site, search(), overrides);

    const livenessTimeout =
      options.livenessTimeout === undefined ? undefined : Number(options.livenessTimeout);
    if (livenessTimeout !== undefined && !(livenessTimeout > 0)) {
      throw new CliError(
        `--liveness-timeout must be a number of seconds > 0, got "${options.livenessTimeout}"`,
      );
    }
    await runServiceFromSite(name, source, site, context, {
      env: io.env,
      tag: options.tag,
      restart: options.restart,
      concurrency,
      metricsPort,
      metricsSource: options.metricsSource,
      maxOutputsPerMessage,
      maxOutputBytesPerMessage,
      liveness: livenessOption(
        options.liveness ?? options.livenessPort !== undefined,
        whole(options.livenessPort, 'liveness-port', 0),
        livenessTimeout,
      ),
    });
  });
}
