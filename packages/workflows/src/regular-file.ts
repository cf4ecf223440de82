/**
 * Reading a file that a user named (a recipe, a site file, a saved message, an INI file): a regular
 * file only. Opening a FIFO for reading waits for a writer and reading a device such as /dev/zero
 * never ends, so either would hang the command for good; a directory or a socket cannot be read at
 * all. The file is opened without blocking and checked again through its descriptor, so it cannot be
 * swapped for a FIFO between the check and the read.
 */
import type { Stats } from 'node:fs';
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { ZOCALO_ERROR_CODES, ZocaloError } from './errors';

/** A path names a FIFO, a directory, a socket or a device where a regular file was expected. */
export class NotARegularFileError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.NotARegularFileError;

  /** What the path is, e.g. `a FIFO (named pipe)`. */
  readonly kind: string;
  /** `<kind>, not a regular file`: for messages that name the path already. */
  readonly description: string;

  constructor(
    readonly path: string,
    stats: Stats,
  ) {
    const kind = fileKind(stats);
    const description = `${kind}, not a regular file`;
    super(`${path} is ${description}; give the path of a regular file`);
    this.kind = kind;
    this.description = description;
  }
}

/** What a non-regular file is, in words. */
function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}

// Opening a FIFO without O_NONBLOCK blocks until a writer comes; on a regular file the flag does nothing.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * The text of a regular file. A path that names anything else is a {@link NotARegularFileError},
 * raised before anything is read; other failures (ENOENT, EACCES) are thrown as `fs` throws them.
 */
export function readRegularFile(path: string): string {
  // stat first: a socket cannot even be opened, and this names what the path is.
  const before = statSync(path);
  if (!before.isFile()) throw new NotARegularFileError(path, before);
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw new NotARegularFileError(path, opened);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** {@link readRegularFile} without blocking the event loop (or a thread of libuv's pool). */
export async function readRegularFileAsync(path: string): Promise<string> {
  const before = await stat(path);
  if (!before.isFile()) throw new NotARegularFileError(path, before);
  const handle = await open(path, OPEN_FLAGS);
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw new NotARegularFileError(path, opened);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
