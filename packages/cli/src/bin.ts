#!/usr/bin/env node
/** The `zocalo` executable: runs the command line and exits with its code. */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processIo } from './io';
import { runCli } from './program';

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

const code = await runCli(process.argv, processIo(), {
  installRoots: [dirname(fileURLToPath(import.meta.url))],
});
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
