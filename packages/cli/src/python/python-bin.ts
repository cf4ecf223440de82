/** What each Python command's executable (`src/bin/zocalo.*.ts`) runs: the command, then exit with its code. */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processIo } from '../io';
import { runPythonCommand } from './python-command';

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Run `name` with this process's arguments and exit with its code. */
export async function runPythonBin(name: string, binUrl: string): Promise<never> {
  const code = await runPythonCommand(name, process.argv.slice(2), processIo(), {
    // dist/bin/x.js: the installation's node_modules are above dist/.
    installRoots: [dirname(dirname(fileURLToPath(binUrl)))],
  });
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
