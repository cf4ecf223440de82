/**
 * `zocalo dlq check|purge|reinject` (python-zocalo's `zocalo.dlq_check`, `zocalo.dlq_purge`,
 * `zocalo.dlq_reinject`), on the library side of @zocalo/schlockmeister:
 *
 * - `check [queue...]`: counts per dead-letter queue, without taking a message.
 * - `purge [queue...] --to DIR`: every message of the dead-letter queues to one JSON file each (binary
 *   safe), acked only once its file is written.
 * - `reinject FILE...`: saved messages (ours or python-zocalo's files) back to their original queue, or
 *   `--to` another; a file is removed only after the broker confirmed its send. Invalid files are
 *   reported with their path and left in place.
 *
 * Each ends with a summary line on stdout and exits 1 when anything failed (nothing is lost then: a
 * message not written stays in its DLQ, a file not sent stays on disk).
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DlqPurgeResult, ReinjectOutcome } from '@zocalo/schlockmeister';
import type { Transport } from '@zocalo/workflows';
import { dlqPurge, dlqReinject } from '@zocalo/schlockmeister';
import { CliError, EXIT_FAILURE } from '../cli-error';
import type { ManagementOptions, QueueNaming } from '../dead-letters';
import { addManagementOptions, deadLetterBroker, queueNaming } from '../dead-letters';
import type { CliIo } from '../io';
import { createProgress } from '../progress';
import type { Site } from '../site';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';

/** A number of seconds from the command line (`--wait 2.5`). */
export function parseSeconds(value: string, option: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) {
    throw new CliError(`${option} must be a number of seconds (0 or more), not "${value}"`);
  }
  return number;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

interface CheckOptions extends ManagementOptions {
  readonly json?: boolean;
  readonly all?: boolean;
}

interface PurgeOptions extends ManagementOptions {
  readonly to: string;
  readonly wait: string;
}

interface ReinjectOptions extends ManagementOptions {
  readonly to?: string;
  readonly wait?: string;
  readonly dryRun?: boolean;
}

/** Connect as the site says (less a STOMP prefix, see {@link queueNaming}), run, and always disconnect. */
async function withTransport<T>(
  io: CliIo,
  command: string,
  options: ManagementOptions,
  run: (site: Site, transport: Transport, naming: QueueNaming) => Promise<T>,
): Promise<T> {
  const site = loadSite(io, command, options);
  const naming = queueNaming(site);
  const transport = await site.connect(naming.settings);
  try {
    return await run(site, transport, naming);
  } finally {
    await disconnectQuietly(transport, site.logger);
  }
}

export function registerDlq(program: Command, io: CliIo): void {
  const dlq = program
    .command('dlq')
    .summary('check, purge and reinject dead-lettered messages')
    .description(
      'Dead-letter queues: DLQ.<queue> on ActiveMQ, dlq.<queue> on RabbitMQ. Queue arguments may be given ' +
        'with or without that prefix.',
    );

  const check = dlq
    .command('check')
    .summary('count the messages in dead-letter queues')
    .description(
      'Count the messages in every dead-letter queue, or in those of the queues named. ActiveMQ answers ' +
        'through Jolokia (a jmx block or --jolokia-url) or else its statistics plugin, RabbitMQ through its management API (whose counts lag up to 5 s). ' +
        'Without queue names only the DLQs holding messages are listed (--all: every one).',
    )
    .argument('[queues...]', 'queues (or their DLQs); default: every DLQ holding messages')
    .option('--all', 'without queue names: list the empty DLQs too')
    .option('--json', 'print a JSON array of {queue, messages}');
  addManagementOptions(check);
  addSiteOptions(check);
  check.action(async (queues: string[], options: CheckOptions) => {
    await withTransport(io, 'zocalo.dlq_check', options, async (site, transport, naming) => {
      const broker = deadLetterBroker(site, transport, options, naming);
      const named = queues.length > 0;
      // Named DLQs are all listed (0 answers the question); otherwise only those holding messages, as a
      // busy broker has many empty ones. --all lists those too.
      const counts = (await broker.counts(named ? queues : undefined)).filter(
        (count) => named || options.all === true || count.messages > 0,
      );
      if (options.json) {
        io.stdout(`${JSON.stringify(counts)}\n`);
        return;
      }
      const width = Math.max(0, ...counts.map((count) => count.queue.length));
      for (const { queue, messages } of counts) io.stdout(`${queue.padEnd(width)}  ${messages}\n`);
      const total = counts.reduce((sum, count) => sum + count.messages, 0);
      const holding = counts.filter((count) => count.messages > 0).length;
      io.stdout(`${plural(total, 'message')} in ${plural(holding, 'dead-letter queue')}\n`);
    });
  });

  const purge = dlq
    .command('purge')
    .summary('move dead-lettered messages to files')
    .description(
      'Move every message of the dead-letter queues (those of the queues named, or every one holding ' +
        'messages) to one JSON file each in DIR: all headers, the body as text or base64, the original ' +
        "queue, and python-zocalo's fields. Each message is acked only after its file is written.",
    )
    .argument('[queues...]', 'queues (or their DLQs); default: every DLQ holding messages')
    .requiredOption('--to <dir>', 'directory for the message files (created if missing)')
    .option('--wait <seconds>', 'stop after this long without a message', '2');
  addManagementOptions(purge);
  addSiteOptions(purge);
  purge.action(async (queues: string[], options: PurgeOptions) => {
    const wait = parseSeconds(options.wait, '--wait');
    const dir = resolve(io.cwd, options.to);
    await mkdir(dir, { recursive: true });
    await withTransport(io, 'zocalo.dlq_purge', options, async (site, transport, naming) => {
      const broker = deadLetterBroker(site, transport, options, naming);
      let targets: Array<{ queue: string; messages?: number }>;
      if (queues.length > 0) {
        // The counts only size the progress bars; without them the purge goes on all the same.
        const counts = await broker.counts(queues).catch(() => undefined);
        targets = [];
        for (const queue of queues) {
          const name = broker.dlqName(queue);
          const messages = counts?.find((count) => count.queue === name)?.messages;
          // Subscribing would declare a missing queue on RabbitMQ: a mistyped name must not leave one.
          if (counts !== undefined && messages === undefined && broker.kind === 'rabbitmq') {
            io.stderr(`zocalo dlq purge: there is no queue ${name}; nothing to purge there\n`);
            continue;
          }
          targets.push({ queue: name, messages });
        }
      } else {
        targets = (await broker.counts()).filter((count) => count.messages > 0);
      }
      const results: DlqPurgeResult[] = [];
      for (const target of targets) {
        const progress = createProgress(io, { label: `purging ${target.queue}`, total: target.messages });
        try {
          results.push(
            await dlqPurge(transport, target.queue, dir, {
              idleTimeout: wait,
              onProgress: (written) => progress.update(written),
            }),
          );
        } finally {
          progress.stop();
        }
        const result = results[results.length - 1];
        io.stdout(`${target.queue}: ${plural(result.files.length, 'message')} written\n`);
        if (result.error !== undefined) io.stderr(`zocalo dlq purge: ${result.error}\n`);
      }
      const written = results.reduce((sum, result) => sum + result.files.length, 0);
      const failed = results.reduce((sum, result) => sum + result.failed, 0);
      io.stdout(
        `purged ${plural(written, 'message')} from ${plural(targets.length, 'dead-letter queue')} into ${dir}` +
          (failed > 0 ? `; ${failed} could not be written and stay in their queue` : '') +
          '\n',
      );
      if (failed > 0) {
        throw new CliError(`${plural(failed, 'message')} could not be written (see above)`, EXIT_FAILURE);
      }
    });
  });

  const reinject = dlq
    .command('reinject')
    .summary('send saved dead-lettered messages back')
    .description(
      'Send messages saved by `zocalo dlq purge` (or python-zocalo) back to their original queue, or to ' +
        'another with --to. A file is removed only after the broker confirmed the send; a file that is not ' +
        'a valid message file is reported and left in place.',
    )
    .argument('<files...>', 'message files')
    .option('--to <queue>', 'send every message to this queue instead')
    .option('--wait <seconds>', 'wait this long between two messages')
    .option('--dry-run', 'only say what would be sent; send and remove nothing');
  addSiteOptions(reinject);
  reinject.action(async (files: string[], options: ReinjectOptions) => {
    const wait = options.wait === undefined ? undefined : parseSeconds(options.wait, '--wait');
    const paths = files.map((file) => resolve(io.cwd, file));
    await withTransport(io, 'zocalo.dlq_reinject', options, async (_site, transport, naming) => {
      const progress = createProgress(io, { label: 'reinjecting', total: paths.length, unit: 'files' });
      let outcomes: ReinjectOutcome[];
      try {
        outcomes = await dlqReinject(transport, paths, {
          // A saved file names its queue as the broker does; --to is named as the site does.
          to: options.to === undefined ? undefined : naming.brokerName(options.to),
          wait,
          dryRun: options.dryRun,
          onProgress: (outcome, done) => {
            progress.update(done);
            if (outcome.status === 'dry-run') io.stdout(`${outcome.file}: would send to ${outcome.queue}\n`);
            else if (outcome.status === 'sent') io.stdout(`${outcome.file}: sent to ${outcome.queue}\n`);
            else io.stderr(`zocalo dlq reinject: ${outcome.file}: ${outcome.status}: ${outcome.error}\n`);
          },
        });
      } finally {
        progress.stop();
      }
      const count = (status: ReinjectOutcome['status']): number =>
        outcomes.filter((outcome) => outcome.status === status).length;
      const invalid = count('invalid');
      const failed = count('failed');
      io.stdout(
        (options.dryRun
          ? `would send ${plural(count('dry-run'), 'message')}`
          : `reinjected ${plural(count('sent'), 'message')}`) +
          (invalid > 0 ? `; ${plural(invalid, 'invalid file')} left in place` : '') +
          (failed > 0 ? `; ${plural(failed, 'failed send')}, files kept` : '') +
          '\n',
      );
      if (invalid + failed > 0) {
        throw new CliError(
          `${plural(invalid + failed, 'file')} not reinjected (see above); fix or remove them`,
          EXIT_FAILURE,
        );
      }
    });
  });
}
