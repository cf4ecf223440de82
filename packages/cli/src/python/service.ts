/**
 * `zocalo.service -s NAME [options]`: python-zocalo's `zocalo.service` (python-workflows'
 * ServiceStarter, optparse). A service name may be abbreviated to a unique prefix (case-sensitive
 * first, then not), as python-workflows matches it; a module path (`./my-service.js`) also works
 * here. `-v`/`-vv` climb the site's `logging` verbose steps, `-d` logs debug, `-r` restarts the
 * service when it fails, `--tag` and the cluster job and Kubernetes pod go into status broadcasts,
 * `-m` serves metrics (and `/readyz`, `/healthz`), `--liveness` the liveness endpoint.
 */
import { LIVENESS_DEFAULTS, WORKFLOWS_VERSION } from '@zocalo/workflows';
import { CLI_VERSION } from '../program';
import { PYTHON_METRICS_PORT, factoryContext, livenessOption, runServiceFromSite } from '../commands/service';
import { oneLine } from '../cli-error';
import type { ServiceSource } from '../services';
import { findService, isModulePath, knownServices } from '../services';
import type { PythonCommand } from './python-command';
import {
  PYTHON_FACE_EPILOG,
  SUPPRESS,
  createPythonParser,
  parsePythonArgs,
  pythonExit,
} from './python-parser';
import { addPythonSiteOptions, pythonSite } from './python-site';

/** python-workflows' service name matching: exact, else the one name it starts, else ignoring case. */
export function matchServiceName(name: string, known: readonly string[]): string {
  if (known.includes(name)) return name;
  let matching = known.filter((service) => service.startsWith(name));
  if (matching.length === 0)
    matching = known.filter((service) => service.toLowerCase().startsWith(name.toLowerCase()));
  return matching.length === 1 ? matching[0] : name;
}

export const pythonService: PythonCommand = async (argv, io, context) => {
  const known = [...new Set(knownServices(context.search()).map((entry) => entry.name))].sort();
  const parser = createPythonParser({
    prog: 'zocalo.service',
    style: 'optparse',
    usage: 'zocalo.service [options]',
    version: `${CLI_VERSION} (workflows ${WORKFLOWS_VERSION})`,
    epilog: PYTHON_FACE_EPILOG('zocalo.service', 'zocalo service'),
    questionMarkHelp: true,
    io,
  });
  parser.add_argument('-s', '--service', {
    dest: 'service',
    metavar: 'SVC',
    help: `Name of the service to start. Known services: ${known.join(', ')}`,
  });
  parser.add_argument('-m', '--metrics', {
    dest: 'metrics',
    action: 'store_true',
    help: 'Record metrics for this service and expose them on the port defined by the --metrics-port option.',
  });
  parser.add_argument('--metrics-port', {
    dest: 'metrics_port',
    type: 'int',
    default: PYTHON_METRICS_PORT,
    help: 'Expose metrics via a prometheus endpoint on this port.',
  });
  parser.add_argument('--liveness', {
    dest: 'liveness',
    action: 'store_true',
    help: 'Expose a liveness endpoint on the port defined by --liveness-port: 200 while the main loop runs',
  });
  parser.add_argument('--liveness-port', {
    dest: 'liveness_port',
    type: 'int',
    default: LIVENESS_DEFAULTS.port,
    help: 'Port of the liveness endpoint (default: %(default)s)',
  });
  parser.add_argument('--liveness-timeout', {
    dest: 'liveness_timeout',
    type: 'float',
    default: LIVENESS_DEFAULTS.timeout,
    help: 'Seconds the main loop may be stuck before liveness fails (default: %(default)s)',
  });
  addPythonSiteOptions(parser, io, { transportArgument: true });
  parser.add_argument('-v', '--verbose', {
    dest: 'verbose',
    action: 'count',
    default: 0,
    help: 'Increase output verbosity',
  });
  parser.add_argument('--tag', {
    dest: 'tag',
    metavar: 'TAG',
    help: 'Individual tag related to this service instance',
  });
  parser.add_argument('-d', '--debug', {
    dest: 'debug',
    action: 'store_true',
    help: 'Set debug log level for workflows',
  });
  parser.add_argument('-r', '--restart', {
    dest: 'service_restart',
    action: 'store_true',
    help: 'Restart service on failure',
  });
  // optparse ignores positionals; so does ServiceStarter.
  parser.add_argument('args', { nargs: '*', help: SUPPRESS });
  const args = parsePythonArgs(parser, argv, 'optparse');

  const given = args.service as string | undefined;
  if (!given) {
    // Python would start a frontend with no service, broadcasting status until told to stop.
    pythonExit(`zocalo.service: no service to start: name one with -s (known services: ${known.join(', ')})`);
  }
  const name = isModulePath(given) ? given : matchServiceName(given, known);
  const timeout = args.liveness_timeout as number;
  if (!(timeout > 0)) pythonExit(`zocalo.service: --liveness-timeout must be > 0 seconds, got ${timeout}`);
  let source: ServiceSource;
  try {
    source = findService(name, context.search());
  } catch (error) {
    // Python's frontend fails to start an unknown service: exit 1.
    pythonExit(`zocalo.service: ${oneLine(error)}`);
  }
  const site = pythonSite(io, 'zocalo.service', args, 'info', {
    verbose: args.verbose as number,
    logLevel: args.debug ? 'debug' : undefined,
  });
  await runServiceFromSite(name, source, site, factoryContext(site, context.search(), {}), {
    env: io.env,
    tag: args.tag as string | undefined,
    restart: Boolean(args.service_restart),
    metricsPort: args.metrics ? (args.metrics_port as number) : undefined,
    liveness: livenessOption(Boolean(args.liveness), args.liveness_port as number, timeout),
  });
  return 0;
};
