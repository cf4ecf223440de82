/**
 * `zocalo.shutdown [HOSTS ...] [-s SVC]`: python-zocalo's `zocalo.cli.shutdown` (argparse). Hosts given
 * as `hostname.pid` are completed with this machine's reversed domain; `-s none` stops instances
 * without a service. Prints what it asked, as Python does; with nothing to stop, says so on stdout and
 * exits 1.
 */
import { disconnectQuietly } from '../site';
import { completeHost, sendShutdown, shutdownCommands } from '../commands/shutdown';
import type { PythonCommand } from './python-command';
import { addPythonSiteOptions, pythonSite } from './python-site';
import { SUPPRESS, createPythonParser, parsePythonArgs } from './python-parser';
import { knownServices } from '../services';

export const pythonShutdown: PythonCommand = async (argv, io, context) => {
  const parser = createPythonParser({ prog: 'zocalo.shutdown', style: 'argparse', io });
  parser.add_argument('-?', { action: 'help', help: SUPPRESS });
  parser.add_argument('HOSTS', {
    nargs: '*',
    help: 'Specific service instances specified as hostname.pid',
  });
  const known = [...new Set(knownServices(context.search()).map((entry) => entry.name))].sort();
  parser.add_argument('-s', '--service', {
    dest: 'services',
    metavar: 'SVC',
    action: 'append',
    default: [],
    help: `Stop all instances of a service. Use 'none' for instances without loaded service. Known services: ${known.join(', ')}`,
  });
  addPythonSiteOptions(parser, io, { transportArgument: true });
  const args = parsePythonArgs(parser, argv, 'argparse');
  const hosts = (args.HOSTS as string[]).map((host) => completeHost(host));
  const services = args.services as string[];
  if (services.length === 0 && hosts.length === 0) {
    io.stdout(
      'Need to specify one or more services to shut down.\n' +
        'Either specify service groups with -s or specify specific instances\n' +
        'as: hostname.pid\n',
    );
    return 1;
  }
  const site = pythonSite(io, 'zocalo.shutdown', args);
  const transport = await site.connect();
  try {
    for (const message of shutdownCommands(hosts, services)) {
      await sendShutdown(transport, [message]);
      io.stdout(
        'host' in message
          ? `Shutting down ${String(message.host)}\n`
          : `Stopping all instances of ${message.service === null ? 'None' : String(message.service)}\n`,
      );
    }
  } finally {
    await disconnectQuietly(transport, site.logger);
  }
  return 0;
};
