/**
 * `zocalo dashboard`: the live web dashboard (@zocalo/dashboard) on the site's transport — services
 * from their status broadcasts. Listens on 127.0.0.1:8880 by default; any other address needs a token
 * (`--token` or `$ZOCALO_DASHBOARD_TOKEN`) or a basic-auth login (`$ZOCALO_DASHBOARD_LOGIN=user:password`),
 * which every request and the live channel must carry. Runs until Ctrl+C.
 */
import type { Command } from 'commander';
import { ZocaloError } from '@zocalo/workflows';
import { CliError, EXIT_USAGE, oneLine } from '../cli-error';
import type { CliIo } from '../io';
import type { SiteOptions } from '../site';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';

interface DashboardCommandOptions extends SiteOptions {
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
    .option('--token <token>', 'the token every request must carry (default: $ZOCALO_DASHBOARD_TOKEN)');
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
    const { startDashboard } = await import('@zocalo/dashboard');
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
