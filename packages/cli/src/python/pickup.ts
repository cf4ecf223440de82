/**
 * `zocalo.pickup [options]`: python-zocalo's `zocalo.cli.pickup` (argparse). Sends the requests that
 * `zocalo.go` stored in `zocalo.go.fallback_location` to `processing_recipe`, oldest first, after
 * waiting `-w` seconds (60), pausing `-d` seconds (2) after each. Every file is read (with
 * `readStoredRequest`) before anything is sent, so a file that is not a stored request stops the run
 * before it begins, as it does in Python; a file is removed once its send was confirmed.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PROCESSING_QUEUE } from '@zocalo/dispatcher';
import { oneLine } from '../cli-error';
import type { StoredRequest } from '../commands/pickup';
import { readStoredRequest } from '../commands/pickup';
import { disconnectQuietly } from '../site';
import type { PythonCommand } from './python-command';
import { PYTHON_FACE_EPILOG, createPythonParser, parsePythonArgs, pythonExit } from './python-parser';
import { addPythonSiteOptions, pythonSite } from './python-site';

const sleep = (seconds: number): Promise<void> => new Promise((done) => setTimeout(done, seconds * 1000));

export const pythonPickup: PythonCommand = async (argv, io) => {
  const parser = createPythonParser({
    prog: 'zocalo.pickup',
    style: 'argparse',
    usage: 'zocalo.pickup [options]',
    description: 'Processes zocalo.go backlog',
    epilog: PYTHON_FACE_EPILOG('zocalo.pickup', 'zocalo pickup'),
    questionMarkHelp: true,
    io,
  });
  parser.add_argument('-d', '--delay', {
    dest: 'delay',
    type: 'int',
    default: 2,
    help: 'Number of seconds to wait between message dispatches',
  });
  parser.add_argument('-w', '--wait', {
    dest: 'wait',
    type: 'int',
    default: 60,
    help: 'Number of seconds to wait initially',
  });
  parser.add_argument('-v', '--verbose', {
    dest: 'verbose',
    action: 'store_true',
    help: 'Show raw message before sending',
  });
  addPythonSiteOptions(parser, io, { transportArgument: true });
  const args = parsePythonArgs(parser, argv, 'argparse');

  const site = pythonSite(io, 'zocalo.pickup', args);
  const location = site.configuration.storage['zocalo.go.fallback_location'];
  if (typeof location !== 'string' || location === '') {
    pythonExit(
      'zocalo.pickup: the site configuration has no storage zocalo.go.fallback_location (where zocalo.go stores requests)',
    );
  }
  let names: string[];
  try {
    names = readdirSync(location);
  } catch {
    pythonExit('This program is only available to privileged users');
  }
  io.stdout(`Found ${names.length} files\n`);
  if (names.length === 0) return 0;
  const wait = args.wait as number;
  if (wait) {
    io.stdout(`Waiting ${wait} seconds\n`);
    await sleep(wait);
  }
  io.stdout(`Connecting to ${site.transportName}...\n`);
  const transport = await site.connect();
  try {
    let requests: StoredRequest[];
    try {
      requests = names.map((name) => readStoredRequest(join(location, name)));
    } catch (error) {
      pythonExit(oneLine(error));
    }
    requests.sort((a, b) => a.mtime - b.mtime);
    let count = 0;
    for (const request of requests) {
      const recipes = Array.isArray(request.message.recipes) ? request.message.recipes.join(',') : '';
      const host = request.headers['zocalo.go.host'];
      io.stdout(
        `Sending ${request.file} from host ${host === undefined ? 'None' : String(host)} with recipes ${recipes}\n`,
      );
      if (args.verbose) io.stdout(`${JSON.stringify(request.message, null, 2)}\n`);
      await transport.send(PROCESSING_QUEUE, request.message, { headers: request.headers });
      unlinkSync(request.file);
      count += 1;
      io.stdout(`Done (${count} of ${requests.length})\n`);
      await sleep(args.delay as number);
    }
  } finally {
    await disconnectQuietly(transport, site.logger);
  }
  return 0;
};
