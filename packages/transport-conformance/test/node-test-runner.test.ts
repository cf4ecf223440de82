/** The suite runs under node:test, from the built package, with no jest globals in the process. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const fixture = join(__dirname, 'fixtures', 'node-test-runner.mjs');
const built = join(__dirname, '..', 'dist', 'index.js');

it('runs the connection and messaging groups under node --test', async () => {
  // The fixture imports the published entry points: build first (`pnpm build`).
  expect(existsSync(built)).toBe(true);
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--test', '--test-reporter=tap', fixture],
      { cwd: join(__dirname, '..'), timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
  expect(output).toMatch(/^# fail 0$/m);
  expect(output).toMatch(/^# pass (\d+)$/m);
  // Every test of both groups ran: 4 of connection, 10 of send and subscribe.
  expect(Number(/^# pass (\d+)$/m.exec(output)?.[1])).toBe(14);
  expect(output).toMatch(/ok \d+ - delivers a JSON message with message-id and subscription in its header/);
  expect(code).toBe(0);
}, 90_000);
