/**
 * `zocalo status`: a live view of every service's status broadcasts (host, service, state,
 * utilization, last seen), redrawn in place on a terminal; instances not heard from for 15 s drop
 * out. `--once` listens for a while (`--wait`, longer than the 6 s between broadcasts) and prints
 * the table (or, with `--json`, a JSON array) once; `--json` alone streams one JSON line per
 * broadcast.
 */
import type { Command } from 'commander';
import { CliError } from '../cli-error';
import type { CliIo } from '../io';
import type { SiteOptions } from '../site';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';
import { STATUS_AGE_LIMIT, StatusBoard, watchStatus } from '../status-board';

interface StatusOptions extends SiteOptions {
  readonly once?: boolean;
  readonly json?: boolean;
  readonly wait: string;
  readonly age: string;
  readonly refresh: string;
}

function seconds(value: string, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0)
    throw new CliError(`--${name} must be a number of seconds, got "${value}"`);
  return number;
}

/** Resolves on SIGINT / SIGTERM or after `ms` (when given). */
function stopped(ms?: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      if (timer) clearTimeout(timer);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export function registerStatus(program: Command, io: CliIo): void {
  const command = program
    .command('status')
    .summary('watch the status of running services')
    .description(
      'Show every running service as its status broadcasts report it: host, service, state, utilization, ' +
        `last seen. Instances not heard from for ${STATUS_AGE_LIMIT} s drop out. Ctrl+C ends it.`,
    )
    .option('--once', 'listen for --wait seconds, print once and exit')
    .option('--json', 'JSON: with --once an array of instances, otherwise one line per broadcast')
    .option('--wait <seconds>', 'how long --once listens', '7')
    .option('--age <seconds>', 'drop instances not heard from for this long', String(STATUS_AGE_LIMIT))
    .option('--refresh <seconds>', 'seconds between redraws of the live view', '1');
  addSiteOptions(command);
  command.action(async (options: StatusOptions) => {
    const wait = seconds(options.wait, 'wait');
    const board = new StatusBoard(seconds(options.age, 'age'));
    const refresh = seconds(options.refresh, 'refresh');
    const site = loadSite(io, 'zocalo.status', options);
    const transport = await site.connect();
    try {
      const stream = options.json && !options.once;
      const stop = await watchStatus(transport, (message) => {
        if (board.update(message) && stream) io.stdout(`${JSON.stringify(message)}\n`);
      });
      if (options.once) {
        await stopped(wait * 1000);
        io.stdout(options.json ? `${JSON.stringify(board.toJSON(), null, 2)}\n` : board.render());
      } else if (stream) {
        await stopped();
      } else {
        const draw = (): void =>
          io.stdout(
            io.isTTY
              ? `\u001b[H\u001b[2J${board.render()}`
              : `${new Date().toISOString()}\n${board.render()}`,
          );
        draw();
        const timer = setInterval(draw, Math.max(refresh, 0.1) * 1000);
        await stopped();
        clearInterval(timer);
      }
      await stop();
    } finally {
      await disconnectQuietly(transport, site.logger);
    }
  });
}
