/**
 * `zocalo.configure_rabbitmq CONFIGURATION`: python-zocalo's `zocalo.cli.configure_rabbitmq`
 * (argparse, one positional). As in Python it activates the site's `live` environment, reads the
 * users' INI files from the storage setting `zocalo.rabbitmq_user_config`, and makes the broker match
 * the file: what the file's vhosts hold that the file lacks is deleted, queues with messages included,
 * and so are users no INI file declares. That is Python's behaviour, kept for its cron jobs; the
 * `zocalo rabbitmq configure` face deletes nothing without `--prune` (and `--force`), and offers
 * `--dry-run`.
 */
import { managementFor } from '../dead-letters';
import { configureRabbitmq } from '../rabbitmq-configure';
import { loadSite } from '../site';
import type { PythonCommand } from './python-command';
import { createPythonParser, parsePythonArgs } from './python-parser';

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
  const args = parsePythonArgs(parser, argv, 'argparse');
  const site = loadSite(io, 'zocalo.configure_rabbitmq', { environment: ['live'] }, 'info');
  const userConfig = site.configuration.storage['zocalo.rabbitmq_user_config'];
  if (typeof userConfig !== 'string' || userConfig === '') {
    io.stderr(
      'Problem with Zocalo configuration file. Possibly zocalo.rabbitmq_user_config storage plugin is missing\n',
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
