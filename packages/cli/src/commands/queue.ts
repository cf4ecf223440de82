/**
 * `zocalo queue drain SRC DST [--rate n/s]` (python-zocalo's `zocalo.queue_drain`): moves every message
 * of one queue to another, body bytes and application headers, each acked on the source only after the
 * broker confirmed its send to the destination; a failed send stops the drain and leaves the rest on
 * the source.
 */
import type { Command } from 'commander';
import { queueDrain } from '@zocalo/schlockmeister';
import { CliError, EXIT_FAILURE } from '../cli-error';
import type { ManagementOptions } from '../dead-letters';
import { addManagementOptions, deadLetterBroker, queueNaming } from '../dead-letters';
import type { CliIo } from '../io';
import { createProgress } from '../progress';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';
import { parseSeconds } from './dlq';

interface DrainOptions extends ManagementOptions {
  readonly rate?: string;
  readonly wait: string;
}

/** `--rate 20`, `--rate 20/s`: messages per second, more than 0. */
export function parseRate(value: string): number {
  const number = Number(value.replace(/\/s$/, ''));
  if (!Number.isFinite(number) || number <= 0) {
    throw new CliError(`--rate must be a number of messages per second (e.g. 20 or 20/s), not "${value}"`);
  }
  return number;
}

export function registerQueue(program: Command, io: CliIo): void {
  const queue = program.command('queue').summary('work on queues').description('Work on queues.');
  const drain = queue
    .command('drain')
    .summary('move all messages from one queue to another')
    .description(
      'Move every message of SRC to DST, at most --rate per second. Each is acked on SRC only after the ' +
        'broker confirmed it on DST, so a failure loses nothing. Stops when SRC stays empty for --wait seconds.',
    )
    .argument('<source>', 'queue to empty')
    .argument('<destination>', 'queue to fill')
    .option('--rate <n>', 'at most n messages per second (n or n/s)')
    .option('--wait <seconds>', 'stop after this long without a message', '2');
  addManagementOptions(drain);
  addSiteOptions(drain);
  drain.action(async (source: string, destination: string, options: DrainOptions) => {
    const rate = options.rate === undefined ? undefined : parseRate(options.rate);
    const wait = parseSeconds(options.wait, '--wait');
    if (source === destination) throw new CliError(`source and destination are both ${source}`);
    const site = loadSite(io, 'zocalo.queue_drain', options, undefined, { sendsAndExits: true });
    const naming = queueNaming(site);
    const transport = await site.connect(naming.settings);
    try {
      // The total only feeds the progress bar: a transport that cannot say drains all the same.
      let total: number | undefined;
      try {
        total = await deadLetterBroker(site, transport, options, naming).depth(source);
      } catch {
        total = undefined;
      }
      const started = Date.now();
      const progress = createProgress(io, { label: `draining ${source} → ${destination}`, total });
      let result;
      try {
        result = await queueDrain(transport, naming.brokerName(source), naming.brokerName(destination), {
          rate,
          idleTimeout: wait,
          onProgress: (moved) => progress.update(moved),
        });
      } finally {
        progress.stop();
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      io.stdout(
        `moved ${result.moved} message${result.moved === 1 ? '' : 's'} from ${source} to ${destination} in ${seconds} s\n`,
      );
      if (result.failed > 0) {
        throw new CliError(
          `${result.error ?? 'a send failed'}; the messages not moved stay on ${source}`,
          EXIT_FAILURE,
        );
      }
    } finally {
      await disconnectQuietly(transport, site.logger);
    }
  });
}
