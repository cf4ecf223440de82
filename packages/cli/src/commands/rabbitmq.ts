/**
 * `zocalo rabbitmq configure FILE [--user-config DIR]` (python-zocalo's `zocalo.configure_rabbitmq`):
 * declares the users, vhosts, permissions, policies, queues, exchanges and bindings of a YAML file over
 * the management HTTP API. Python deletes whatever is not in the file and re-creates whatever differs,
 * messages and all; here that takes `--prune` (and `--force` for queues with messages, vhosts, or
 * settings that differ), and without it differences are reported. The work is `configureRabbitmq`
 * (../rabbitmq-configure.ts), planned by ../rabbitmq-plan.ts.
 */
import type { Command } from 'commander';
import { CliError, EXIT_FAILURE } from '../cli-error';
import type { ManagementOptions } from '../dead-letters';
import { addManagementOptions, managementFor } from '../dead-letters';
import type { CliIo } from '../io';
import { configureRabbitmq } from '../rabbitmq-configure';
import { addSiteOptions, loadSite } from '../site';

interface ConfigureOptions extends ManagementOptions {
  readonly prune?: boolean;
  readonly force?: boolean;
  readonly dryRun?: boolean;
  readonly vhost?: string;
  readonly userConfig?: string;
}

async function configure(io: CliIo, file: string, options: ConfigureOptions): Promise<void> {
  const site = loadSite(io, 'zocalo.configure_rabbitmq', options);
  const result = await configureRabbitmq({
    management: managementFor(site, options),
    file,
    userConfig: options.userConfig,
    prune: options.prune,
    force: options.force,
    dryRun: options.dryRun,
    vhost: options.vhost,
    verbose: options.verbose === true || (typeof options.verbose === 'number' && options.verbose > 0),
    output: io.stdout,
  });
  const unsupported = result.counts.unsupported ?? 0;
  if (unsupported > 0) {
    io.stderr(
      `zocalo rabbitmq configure: ${unsupported} object${unsupported === 1 ? ' was' : 's were'} not applicable ` +
        'on this broker and left out (see "not applicable" above); the rest was applied\n',
    );
  }
  if (result.problem !== undefined) throw new CliError(result.problem, EXIT_FAILURE);
}

export function registerRabbitmq(program: Command, io: CliIo): void {
  const rabbitmq = program
    .command('rabbitmq')
    .summary('configure a RabbitMQ broker')
    .description('Configure a RabbitMQ broker over its management HTTP API.');
  const configureCommand = rabbitmq
    .command('configure')
    .summary('declare users, vhosts, permissions, queues, exchanges, bindings and policies from a YAML file')
    .description(
      'Declare the vhosts, permissions, policies, exchanges, queues (with their dead-letter queues), ' +
        "bindings and broadcast exchanges of FILE (python-zocalo's configure_rabbitmq format), and the " +
        'users of --user-config, in every vhost FILE names. Policies, users, permissions and vhost ' +
        'metadata that differ are updated; queues and exchanges that differ are reported (RabbitMQ cannot ' +
        'change them in place); what is on the broker but not in FILE is reported, or deleted with --prune; ' +
        'an exchange type the broker lacks (a plugin) is reported as not applicable and the rest applied. ' +
        'Exit code 1 when anything failed or was left unlike FILE, 2 for a bad FILE.',
    )
    .argument('<file>', 'the YAML file')
    .option(
      '--user-config <dir>',
      'a folder of *.ini files, each a user: [rabbitmq] username = user, password = letmein, ' +
        'tags = comma,separated,tags (default: users are left alone)',
    )
    .option(
      '--prune',
      'delete policies, queues, exchanges, bindings (and, when FILE lists them, vhosts and permissions; ' +
        'with --user-config, users) not in FILE (never amq.*, the default exchange, temporary queues, the ' +
        "AMQP transport's delay queues and delayed exchange, or the management API's own user); classic " +
        'queues only when empty, other queues and vhosts only with --force',
    )
    .option(
      '--force',
      'with --prune: delete queues with messages and vhosts, and re-create queues and exchanges that differ',
    )
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--vhost <vhost>', 'only this vhost of FILE (default: every vhost FILE names)');
  addManagementOptions(configureCommand);
  addSiteOptions(configureCommand);
  configureCommand.action((file: string, options: ConfigureOptions) => configure(io, file, options));
}
