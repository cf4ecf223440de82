/**
 * `zocalo pickup` (python-zocalo's `zocalo.pickup`): send the requests that `zocalo go` stored in the
 * fallback location (`--drop`, or a send that failed) to the Dispatcher, oldest first. Python's
 * defaults (a 60 s pause after counting, 2 s between sends) and output are kept; unlike Python, a file
 * is removed only after the broker confirmed its send, a file that is not a stored request is reported
 * and left in place instead of stopping the run, a FIFO, directory, socket or device is skipped with a
 * warning (reading a FIFO would wait forever), and a failed send stops the run with the rest kept.
 */
import { readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PROCESSING_QUEUE } from '@zocalo/dispatcher';
import type { MessageHeaders, Transport } from '@zocalo/workflows';
import { NotARegularFileError, ZocaloError, decodeBody, readRegularFile } from '@zocalo/workflows';
import { CLI_ERROR_CODES, CliError, EXIT_FAILURE, oneLine } from '../cli-error';
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
export class StoredRequestError extends ZocaloError {
  static override readonly code: string = CLI_ERROR_CODES.StoredRequestError;

  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}; it is left in place (fix or remove it, then run zocalo pickup again)`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Read and check one stored request: JSON `{"headers": {...}, "message": {...}}`. A path that is not a
 * regular file is a {@link NotARegularFileError} (to be skipped), anything else wrong a
 * {@link StoredRequestError}.
 */
export function readStoredRequest(file: string): StoredRequest {
  let data: unknown;
  let mtime: number;
  try {
    mtime = statSync(file).mtimeMs;
    const text = readRegularFile(file);
    // As a message body is read: Python's json also writes NaN and Infinity.
    data = decodeBody(text);
    if (typeof data === 'string' && data === text) throw new SyntaxError('not valid JSON');
  } catch (error) {
    if (error instanceof NotARegularFileError) throw error;
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
    const site = loadSite(io, 'zocalo.pickup', options, undefined, { sendsAndExits: true });
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

    const invalid: StoredRequestError[] = [];
    let skipped = 0;
    const reject = (error: unknown): void => {
      if (error instanceof NotARegularFileError) {
        // Not a request anybody stored (a FIFO, a directory): nothing to send, nothing to fix here.
        skipped += 1;
        io.stderr(`zocalo pickup: skipping ${error.path}: it is ${error.description}\n`);
        return;
      }
      if (!(error instanceof StoredRequestError)) throw error;
      invalid.push(error);
      io.stderr(`zocalo pickup: ${error.message}\n`);
    };
    /** The requests in the directory now, oldest first; invalid files reported. */
    const readAll = (): StoredRequest[] => {
      const found: StoredRequest[] = [];
      for (const name of readdirSync(dir)) {
        try {
          found.push(readStoredRequest(join(dir, name)));
        } catch (error) {
          reject(error);
        }
      }
      return found.sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file));
    };
    const describe = (request: StoredRequest): string => {
      const recipes = Array.isArray(request.message.recipes) ? request.message.recipes.join(',') : '';
      return `${request.file} from host ${String(request.headers['zocalo.go.host'] ?? 'unknown')} with recipes ${recipes}`;
    };

    let requests: StoredRequest[] = [];
    let sent = 0;
    let kept = 0;
    let failure: string | undefined;
    if (options.dryRun) {
      requests = readAll();
      for (const request of requests) io.stdout(`Would send ${describe(request)}\n`);
    } else {
      if (wait > 0) {
        io.stdout(`Waiting ${wait} seconds\n`);
        await sleep(wait);
      }
      // Read after the pause, as python-zocalo does: what is there now is what gets sent.
      requests = readAll();
      if (requests.length > 0) {
        io.stdout(`Connecting to ${site.transportName}...\n`);
        const transport: Transport = await site.connect();
        try {
          for (const [position, listed] of requests.entries()) {
            if (sent > 0 && delay > 0) await sleep(delay);
            // Claim the file first, so that two pickups at once never send one request twice; a
            // claimed file left by a killed pickup is an ordinary request file to the next one.
            const claimed = `${listed.file}.sending-${process.pid}`;
            try {
              renameSync(listed.file, claimed);
            } catch {
              io.stdout(`Skipping ${listed.file}: it is gone (another pickup?)\n`);
              continue;
            }
            let request: StoredRequest;
            try {
              request = { ...readStoredRequest(claimed), file: listed.file };
            } catch (error) {
              renameSync(claimed, listed.file);
              reject(
                error instanceof StoredRequestError
                  ? new StoredRequestError(listed.file, error.reason)
                  : error instanceof NotARegularFileError
                    ? new NotARegularFileError(listed.file, statSync(listed.file))
                    : error,
              );
              continue;
            }
            io.stdout(`Sending ${describe(request)}\n`);
            if (options.showMessage) io.stdout(`${JSON.stringify(request.message, null, 2)}\n`);
            try {
              await transport.send(options.queue, request.message, { headers: request.headers });
            } catch (error) {
              // The broker is likely gone: keep this file and the rest for the next run.
              renameSync(claimed, listed.file);
              kept = requests.length - position;
              failure = `could not send ${listed.file}: ${oneLine(error)}`;
              break;
            }
            sent += 1;
            try {
              unlinkSync(claimed);
            } catch (error) {
              io.stderr(
                `zocalo pickup: sent ${listed.file}, but could not remove ${claimed}: ${oneLine(error)}\n`,
              );
            }
            io.stdout(`Done (${sent} of ${requests.length})\n`);
          }
        } finally {
          await disconnectQuietly(transport, site.logger);
        }
      }
    }
    io.stdout(
      (options.dryRun ? `would send ${requests.length}` : `sent ${sent}`) +
        ` request${(options.dryRun ? requests.length : sent) === 1 ? '' : 's'} to ${options.queue}` +
        (!options.dryRun && kept > 0 ? `; ${kept} not sent, kept in ${dir}` : '') +
        (invalid.length > 0
          ? `; ${invalid.length} invalid file${invalid.length === 1 ? '' : 's'} left in place`
          : '') +
        (skipped > 0 ? `; ${skipped} not a regular file, skipped` : '') +
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
