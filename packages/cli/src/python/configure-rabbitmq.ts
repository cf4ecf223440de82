/**
 * `zocalo.configure_rabbitmq CONFIGURATION [--user-config DIR] [-e ENV]`: python-zocalo 1.6's
 * `zocalo.cli.configure_rabbitmq` (argparse). It reads the users' INI files from `--user-config` (else,
 * as python-zocalo before 1.x did, the storage setting `zocalo.rabbitmq_user_config`), and makes the broker match
 * the file: what the file's vhosts hold that the file lacks is deleted, queues with messages included,
 * and so are users no INI file declares. That is Python's behaviour, kept for its cron jobs; the
 * `zocalo rabbitmq configure` face deletes nothing without `--prune` (and `--force`), and offers
 * `--dry-run`.
 */
import { managementFor } from '../dead-letters';
import { configureRabbitmq } from '../rabbitmq-configure';
import type { PythonCommand } from './python-command';
import { createPythonParser, parsePythonArgs } from './python-parser';
import { addPythonSiteOptions, pythonSite } from './python-site';

export const pythonConfigureRabbitmq: PythonCommand = async (argv, io) => {
  const parser = createPythonParser({
    prog: 'zocalo.configure_rabbitmq',
    style: 'argparse',
    io,
    epilog:
      'As python-zocalo: the broker is made to match the file, deleting what it lacks (queues with ' +
      'messages, and users no INI file declares). `zocalo rabbitmq configure --dry-run` shows the plan first.',
  });
  parser.add_argument('configuration', { help: 'RabbitMQ configuration yaml file' });
  parser.add_argument('--user-config', {
    dest: 'user_config',
    help: 'Folder of RabbitMQ user configuration files (INI, a [rabbitmq] section each)',
  });
  addPythonSiteOptions(parser, io, { transports: false });
  const args = parsePythonArgs(parser, argv, 'argparse');
  const site = pythonSite(io, 'zocalo.configure_rabbitmq', args, 'info');
  const userConfig =
    (args.user_config as string | undefined) ?? site.configuration.storage['zocalo.rabbitmq_user_config'];
  if (typeof userConfig !== 'string' || userConfig === '') {
    io.stderr(
      'No RabbitMQ user configuration: give --user-config DIR (or the storage setting zocalo.rabbitmq_user_config)\n',
    );
    return 1;
  }
  const result = await configureRabbitmq({
    management: managementFor(site, {}),
    file: args.configuration as string,
    userConfig,
    prune: true,
    force: true,
    output: io.stdout,
  });
  return (result.counts.failed ?? 0) > 0 ? 1 : 0;
};
