/**
 * `zocalo dashboard`: the live web dashboard (@zocalo/dashboard) on the site's transport — services
 * from their status broadcasts; queues and dead letters through RabbitMQ's management API or ActiveMQ's
 * Jolokia, found as `zocalo dlq` finds them (the same options); the recipes of storage
 * `zocalo.recipe_directory`, drawn and started with parameters (the `zocalo go` request). Listens on 127.0.0.1:8880 by default; any other address needs a token
 * (`--token` or `$ZOCALO_DASHBOARD_TOKEN`) or a basic-auth login (`$ZOCALO_DASHBOARD_LOGIN=user:password`),
 * which every request and the live channel must carry. Runs until Ctrl+C.
 */
import type { Command } from 'commander';
import { ZocaloError } from '@zocalo/workflows';
import { CliError, EXIT_USAGE, oneLine } from '../cli-error';
import { resolve } from 'node:path';
import { knownTransport } from '@zocalo/configuration';
import type { ManagementOptions } from '../dead-letters';
import { addManagementOptions, managementFor } from '../dead-letters';
import type { CliIo } from '../io';
import { jolokiaFor } from '../jolokia';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';

interface DashboardCommandOptions extends ManagementOptions {
  readonly purgeDir?: string;
  readonly host: string;
  readonly port: string;
  readonly token?: string;
}

/** Resolves on SIGINT / SIGTERM. */
function stopped(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export function registerDashboard(program: Command, io: CliIo): void {
  const command = program
    .command('dashboard')
    .summary('serve the live web dashboard')
    .description(
      'Serve a web page that shows every service as its status broadcasts report it, live. It listens on ' +
        '127.0.0.1 unless told otherwise; any other address needs a token (--token or $ZOCALO_DASHBOARD_TOKEN, ' +
        'given as ?token= in the address) or a login ($ZOCALO_DASHBOARD_LOGIN=user:password). Ctrl+C ends it.',
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free one)', '8880')
    .option('--token <token>', 'the token every request must carry (default: $ZOCALO_DASHBOARD_TOKEN)')
    .option(
      '--purge-dir <dir>',
      'where purged dead letters are saved (default: storage zocalo.dlq.purge_location, else ./DLQ)',
    );
  addManagementOptions(command);
  addSiteOptions(command);
  command.action(async (options: DashboardCommandOptions) => {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new CliError(`--port must be 0-65535, not "${options.port}"`);
    const token = options.token ?? (io.env.ZOCALO_DASHBOARD_TOKEN || undefined);
    const login = io.env.ZOCALO_DASHBOARD_LOGIN;
    const colon = login?.indexOf(':') ?? -1;
    const basicAuth =
      login && colon > 0 ? { username: login.slice(0, colon), password: login.slice(colon + 1) } : undefined;
    const site = loadSite(io, 'zocalo.dashboard', options, 'info');
    const { activemqBrokerView, rabbitBrokerView, startDashboard } = await import('@zocalo/dashboard');
    // Queues and dead letters as `zocalo dlq` counts them; ActiveMQ without Jolokia shows services only.
    const kind = knownTransport(site.transportName)?.broker;
    const jolokia = kind === 'activemq' ? jolokiaFor(site, options) : undefined;
    const broker =
      kind === 'rabbitmq'
        ? rabbitBrokerView(managementFor(site, options))
        : jolokia !== undefined
          ? activemqBrokerView(jolokia)
          : undefined;
    const stored = site.configuration.storage['zocalo.dlq.purge_location'];
    const purgeDirectory = resolve(
      io.cwd,
      options.purgeDir ?? (typeof stored === 'string' && stored ? stored : './DLQ'),
    );
    const recipes = site.configuration.storage['zocalo.recipe_directory'];
    const recipeDirectory = typeof recipes === 'string' && recipes ? resolve(io.cwd, recipes) : undefined;
    const transport = await site.connect();
    try {
      let dashboard;
      try {
        dashboard = await startDashboard({
          transport,
          host: options.host,
          port,
          token,
          basicAuth,
          broker,
          purgeDirectory,
          ...(recipeDirectory === undefined ? {} : { recipeDirectory }),
          logger: site.logger,
        });
      } catch (error) {
        if (error instanceof ZocaloError) throw new CliError(oneLine(error), EXIT_USAGE, { cause: error });
        throw error;
      }
      io.stdout(`Zocalo dashboard on ${dashboard.url}${token ? '?token=<token>' : ''} (Ctrl+C ends it)\n`);
      await stopped();
      await dashboard.close();
    } finally {
      await disconnectQuietly(transport, site.logger);
    }
  });
}
