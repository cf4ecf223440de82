import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NotARegularFileError,
  TransportConfigError,
  readIniSection,
  readRegularFile,
  readRegularFileAsync,
} from '../src';

describe('reading a file a user named', () => {
  let dir: string;
  let fifo: string;
  let writer: ChildProcess | undefined;
  let server: Server | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zocalo-regular-'));
    fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // Should a read block on the FIFO anyway, this writer ends it after 3 s, so the test fails
    // instead of hanging; with the check in place it never gets a reader and is killed below.
    writer = spawn('sh', ['-c', 'sleep 3; printf x > "$0"', fifo], { stdio: 'ignore' });
  });
  afterEach(async () => {
    writer?.kill();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a FIFO, a directory, a socket and a device at once, naming the path and what it is', async () => {
    const started = Date.now();
    expect(() => readRegularFile(fifo)).toThrow(NotARegularFileError);
    await expect(readRegularFileAsync(fifo)).rejects.toThrow(
      `${fifo} is a FIFO (named pipe), not a regular file; give the path of a regular file`,
    );
    expect(() => readRegularFile(dir)).toThrow(`${dir} is a directory, not a regular file`);
    const socket = join(dir, 'socket');
    server = createServer();
    await new Promise<void>((done) => server!.listen(socket, done));
    expect(() => readRegularFile(socket)).toThrow(`${socket} is a socket, not a regular file`);
    expect(() => readRegularFile('/dev/null')).toThrow('/dev/null is a character device, not a regular file');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reads a regular file (also through a symbolic link) and passes fs errors through', async () => {
    const file = join(dir, 'file.txt');
    writeFileSync(file, 'Größe ✓\n');
    symlinkSync(file, join(dir, 'link'));
    expect(readRegularFile(join(dir, 'link'))).toBe('Größe ✓\n');
    await expect(readRegularFileAsync(file)).resolves.toBe('Größe ✓\n');
    expect(() => readRegularFile(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('--stomp-conf / --rabbit-conf: a FIFO is a TransportConfigError naming it', () => {
    // One read only: the FIFO's safety writer unblocks a single reader.
    let error: unknown;
    try {
      readIniSection(fifo, 'stomp', ['host'], 'stomp transport');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(TransportConfigError);
    expect((error as Error).message).toBe(
      `stomp transport: cannot read configuration file ${fifo} (a FIFO (named pipe), not a regular file); check the path`,
    );
  });
});
