/**
 * `zocalo pickup` (python-zocalo's `zocalo.pickup`): send the requests that `zocalo go` stored in the
 * fallback location (`--drop`, or a send that failed) to the Dispatcher, oldest first. Python's
 * defaults (a 60 s pause after counting, 2 s between sends) and output are kept; unlike Python, a file
 * is removed only after the broker confirmed its send, a file that is not a stored request is reported
 * and left in place instead of stopping the run, and a failed send stops the run with the rest kept.
 */
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PROCESSING_QUEUE } from '@zocalo/dispatcher';
import type { MessageHeaders, Transport } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, oneLine } from '../cli-error';
import type { CliIo } from '../io';
import type { SiteOptions } from '../site';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';
import { parseSeconds } from './dlq';

/** A request file as `zocalo go --drop` (ours or python-zocalo's) writes it. */
export interface StoredRequest {
  readonly file: string;
  readonly headers: MessageHeaders;
  readonly message: Readonly<Record<string, unknown>>;
  /** Modification time in ms: the files are sent oldest first. */
  readonly mtime: number;
}

/** A file in the fallback location that is not a stored request. */
export class StoredRequestError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}; it is left in place (fix or remove it, then run zocalo pickup again)`);
    this.name = 'StoredRequestError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Read and check one stored request: JSON `{"headers": {...}, "message": {...}}`. */
export function readStoredRequest(file: string): StoredRequest {
  let data: unknown;
  let mtime: number;
  try {
    mtime = statSync(file).mtimeMs;
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StoredRequestError(file, error instanceof SyntaxError ? 'not valid JSON' : oneLine(error));
  }
  if (!isObject(data)) throw new StoredRequestError(file, 'not a JSON object');
  if (!isObject(data.message)) throw new StoredRequestError(file, 'no "message" object');
  const headers = data.headers ?? {};
  if (!isObject(headers)) throw new StoredRequestError(file, '"headers" is not an object');
  for (const [name, value] of Object.entries(headers)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new StoredRequestError(file, `header "${name}" is not text, a number or a boolean`);
    }
  }
  return { file, headers: headers as MessageHeaders, message: data.message, mtime };
}

interface PickupOptions extends SiteOptions {
  readonly dir?: string;
  readonly queue: string;
  readonly wait: string;
  readonly delay: string;
  readonly showMessage?: boolean;
  readonly dryRun?: boolean;
}

const sleep = (seconds: number): Promise<void> => new Promise((done) => setTimeout(done, seconds * 1000));

export function registerPickup(program: Command, io: CliIo): void {
  const command = program
    .command('pickup')
    .summary('send the requests stored by zocalo go --drop')
    .description(
      'Send every request that `zocalo go` stored in the fallback location (storage ' +
        'zocalo.go.fallback_location, or --dir) to the Dispatcher, oldest first. A file is removed once ' +
        'the broker confirmed its send; a file that is not a stored request is reported and left in place.',
    )
    .option('--dir <dir>', 'where the requests are (default: storage zocalo.go.fallback_location)')
    .option('--queue <queue>', 'where to send them', PROCESSING_QUEUE)
    .option('-w, --wait <seconds>', 'pause after counting the files, before connecting', '60')
    .option('-d, --delay <seconds>', 'pause between two sends', '2')
    .option('--show-message', 'print each request before sending it')
    .option('--dry-run', 'check and list the files, send and remove nothing');
  addSiteOptions(command);
  command.action(async (options: PickupOptions) => {
    const wait = parseSeconds(options.wait, '--wait');
    const delay = parseSeconds(options.delay, '--delay');
    const site = loadSite(io, 'zocalo.pickup', options);
    const location = options.dir ?? site.configuration.storage['zocalo.go.fallback_location'];
    if (typeof location !== 'string' || location === '') {
      throw new CliError('no fallback location: give --dir or storage zocalo.go.fallback_location');
    }
    const dir = resolve(io.cwd, location);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      throw new CliError(`cannot read ${dir}: ${oneLine(error)}`, EXIT_FAILURE, { cause: error });
    }
    io.stdout(`Found ${names.length} file${names.length === 1 ? '' : 's'}\n`);
    if (names.length === 0) return;

    const requests: StoredRequest[] = [];
    const invalid: StoredRequestError[] = [];
    for (const name of names) {
      try {
        requests.push(readStoredRequest(join(dir, name)));
      } catch (error) {
        if (!(error instanceof StoredRequestError)) throw error;
        invalid.push(error);
        io.stderr(`zocalo pickup: ${error.message}\n`);
      }
    }
    requests.sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file));
    const describe = (request: StoredRequest): string => {
      const recipes = Array.isArray(request.message.recipes) ? request.message.recipes.join(',') : '';
      return `${request.file} from host ${String(request.headers['zocalo.go.host'] ?? 'unknown')} with recipes ${recipes}`;
    };

    let sent = 0;
    let failure: string | undefined;
    if (options.dryRun) {
      for (const request of requests) io.stdout(`Would send ${describe(request)}\n`);
    } else if (requests.length > 0) {
      if (wait > 0) {
        io.stdout(`Waiting ${wait} seconds\n`);
        await sleep(wait);
      }
      io.stdout(`Connecting to ${site.transportName}...\n`);
      const transport: Transport = await site.connect();
      try {
        for (const request of requests) {
          if (sent > 0 && delay > 0) await sleep(delay);
          io.stdout(`Sending ${describe(request)}\n`);
          if (options.showMessage) io.stdout(`${JSON.stringify(request.message, null, 2)}\n`);
          try {
            await transport.send(options.queue, request.message, { headers: request.headers });
          } catch (error) {
            // The broker is likely gone: keep this file and the rest for the next run.
            failure = `could not send ${request.file}: ${oneLine(error)}`;
            break;
          }
          unlinkSync(request.file);
          sent += 1;
          io.stdout(`Done (${sent} of ${requests.length})\n`);
        }
      } finally {
        await disconnectQuietly(transport, site.logger);
      }
    }
    const kept = requests.length - sent;
    io.stdout(
      (options.dryRun ? `would send ${requests.length}` : `sent ${sent}`) +
        ` request${(options.dryRun ? requests.length : sent) === 1 ? '' : 's'} to ${options.queue}` +
        (!options.dryRun && kept > 0 ? `; ${kept} not sent, kept in ${dir}` : '') +
        (invalid.length > 0
          ? `; ${invalid.length} invalid file${invalid.length === 1 ? '' : 's'} left in place`
          : '') +
        '\n',
    );
    if (failure !== undefined)
      throw new CliError(`${failure}; the files not sent stay in ${dir}`, EXIT_FAILURE);
    if (invalid.length > 0) {
      throw new CliError(
        `${invalid.length} file(s) in ${dir} are not stored requests (see above)`,
        EXIT_FAILURE,
      );
    }
  });
}
