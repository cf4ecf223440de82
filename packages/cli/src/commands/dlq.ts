/**
 * `zocalo dlq check|purge|reinject` (python-zocalo's `zocalo.dlq_check`, `zocalo.dlq_purge`,
 * `zocalo.dlq_reinject`, with their options), on the library side of @zocalo/schlockmeister:
 *
 * - `check [queue...]`: counts per dead-letter queue, without taking a message.
 * - `purge [queue...] [--location DIR] [--wait S]`: every message of the dead-letter queues to one file
 *   each, in python-zocalo's format and layout (`DIR/<date>/msg-<time>-<id>`; DIR defaults to storage
 *   `zocalo.dlq.purge_location`, else `./DLQ`), acked only once its file is written.
 * - `reinject [FILE...] [-r] [-v] [-d DEST] [-w S]`: saved messages (python-zocalo's files, ours, or our
 *   format before it; names also from standard input, as `purge` prints them) back where they came from,
 *   with `dlq-reinjected: True`; with `-r` a file is removed once the broker confirmed its send. Invalid
 *   files are reported with their path and left in place.
 *
 * Each ends with a summary line on stdout and exits 1 when anything failed (nothing is lost then: a
 * message not written stays in its DLQ, a file not sent stays on disk). */
import { fstatSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DlqPurgeResult, ReinjectOutcome } from '@zocalo/schlockmeister';
import { knownTransports } from '@zocalo/configuration';
import type { Transport } from '@zocalo/workflows';
import { dlqPurge, dlqReinject, pythonLocalTime } from '@zocalo/schlockmeister';
import { CliError, EXIT_FAILURE, oneLine } from '../cli-error';
import type { ManagementOptions, QueueNaming } from '../dead-letters';
import {
  addManagementOptions,
  deadLetterBroker,
  hasDeadLetterTools,
  managementFor,
  queueNaming,
} from '../dead-letters';
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
  readonly location?: string;
  readonly to?: string;
  readonly wait?: string;
}

interface ReinjectOptions extends ManagementOptions {
  readonly remove?: boolean;
  readonly destination?: string;
  readonly to?: string;
  readonly wait?: string;
  readonly dryRun?: boolean;
}

/** The lines of `zocalo dlq purge` output (python-zocalo's too) that name a file: `  /path/to/file`. */
const PURGE_FILE_LINE = /^ {2}\//;

/** The lines of `dlq purge` output naming a file, trimmed. */
function purgeFileNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => PURGE_FILE_LINE.test(line))
    .map((line) => line.trim());
}

/**
 * File names piped in on standard input, as python-zocalo's reinject takes them: the lines of
 * `dlq purge` output naming a file. Only a pipe or a file is read (never a terminal); with file
 * arguments, a pipe that has said nothing within a moment is not waited for (python-zocalo polls it once).
 * Undefined when standard input is neither (Python's `select` found nothing to read).
 */
export async function namesFromStdin(io: CliIo, haveFiles: boolean): Promise<string[] | undefined> {
  if (io.stdin === null) return undefined;
  if (io.stdin !== undefined) return purgeFileNames(io.stdin);
  let kind: 'pipe' | 'file';
  try {
    const stat = fstatSync(0);
    if (stat.isFIFO() || stat.isSocket()) kind = 'pipe';
    else if (stat.isFile()) kind = 'file';
    else return undefined;
  } catch {
    return undefined;
  }
  const stdin = process.stdin;
  const text = await new Promise<string>((done) => {
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      stdin.off('data', onData);
      stdin.off('end', finish);
      stdin.off('error', finish);
      stdin.pause();
      done(data);
    };
    const onData = (chunk: Buffer | string): void => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      data += chunk.toString();
    };
    stdin.on('data', onData);
    stdin.once('end', finish);
    stdin.once('error', finish);
    if (haveFiles && kind === 'pipe') timer = setTimeout(finish, 200);
  });
  if (!stdin.destroyed) stdin.destroy();
  return purgeFileNames(text);
}

/**
 * RabbitMQ: the type of an exchange through the management API (undefined when it does not exist), for
 * {@link dlqReinject}'s fanout broadcasts; undefined on other brokers.
 */
export function exchangeTypeFor(
  site: Site,
  options: ManagementOptions,
): ((exchange: string) => Promise<string | undefined>) | undefined {
  if (site.transportName !== 'amqp' && site.transportName !== 'pika') return undefined;
  const management = managementFor(site, options);
  return async (exchange) => {
    try {
      const answer = (await management.request('GET', management.path('exchanges', exchange))) as
        { type?: unknown } | undefined;
      return typeof answer?.type === 'string' ? answer.type : undefined;
    } catch (error) {
      if (/ answered 404 /.test(oneLine(error))) return undefined;
      throw error;
    }
  };
}

/** Connect as the site says (less a STOMP prefix, see {@link queueNaming}), run, and always disconnect. */
async function withTransport<T>(
  io: CliIo,
  command: string,
  options: ManagementOptions,
  run: (site: Site, transport: Transport, naming: QueueNaming) => Promise<T>,
): Promise<T> {
  const site = loadSite(io, command, options, undefined, { sendsAndExits: command.endsWith('reinject') });
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
      `Dead-letter queues: ${knownTransports()
        .filter(hasDeadLetterTools)
        .map(
          (descriptor) =>
            `${descriptor.deadLetterPrefix}<queue> on ${descriptor.description ?? descriptor.name}`,
        )
        .join(', ')}. Queue arguments may be given with or without that prefix.`,
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
        "messages) to one file each, in python-zocalo's format: <location>/<YYYY-MM-DD>/msg-<YYYYmmdd-HHMMSS>-" +
        '<ms>-<message id>, holding {"exported", "header", "message"}. Each message is acked only after ' +
        'its file is written.',
    )
    .argument('[queues...]', 'queues (or their DLQs); default: every DLQ holding messages')
    .option(
      '--location <dir>',
      'where to write the message files (default: storage zocalo.dlq.purge_location, else ./DLQ)',
    )
    .option('--to <dir>', 'the same as --location')
    .option(
      '--wait <seconds>',
      'wait this long for the first message and between two messages (default: 3, then 0.1)',
    );
  addManagementOptions(purge);
  addSiteOptions(purge);
  purge.action(async (queues: string[], options: PurgeOptions) => {
    const wait = options.wait === undefined ? undefined : parseSeconds(options.wait, '--wait');
    await withTransport(io, 'zocalo.dlq_purge', options, async (site, transport, naming) => {
      const stored = site.configuration.storage['zocalo.dlq.purge_location'];
      const location =
        options.location ?? options.to ?? (typeof stored === 'string' && stored ? stored : './DLQ');
      // Absolute, so that the printed names are what `dlq reinject` (ours and Python's) reads from stdin.
      const dir = resolve(io.cwd, location);
      await mkdir(dir, { recursive: true });
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
        io.stdout(`Looking for DLQ messages in ${target.queue}\n`);
        const progress = createProgress(io, { label: `purging ${target.queue}`, total: target.messages });
        try {
          results.push(
            await dlqPurge(transport, target.queue, dir, {
              wait,
              // The memory broker keeps headers as they were sent: the format follows them.
              broker: broker.kind === 'memory' ? undefined : broker.kind,
              onProgress: (written) => progress.update(written),
              onExported: ({ file, messageId, time }) =>
                io.stdout(`Message ${messageId} (${pythonLocalTime(time)}) exported:\n  ${file}\n`),
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
      'Send messages saved by `zocalo dlq purge` (or python-zocalo) back where they came from, each with ' +
        'the header dlq-reinjected: True: on ActiveMQ to the original queue or topic, on RabbitMQ to the ' +
        'queue of the first x-death entry (or broadcast to its exchange when that is a fanout one). File ' +
        'names are also read from standard input (the "  /path" lines `dlq purge` prints). A file is kept ' +
        'unless -r; one that is not a valid message file is reported and left in place. -v also shows ' +
        "each message's contents, as python-zocalo's -v does.",
    )
    .argument('[files...]', 'message files (also: names on standard input)')
    .option('-r, --remove', 'delete each file once the broker confirmed its send')
    .option(
      '-d, --destination <name>',
      'send every message to this destination instead, named as the broker does (with any STOMP prefix)',
    )
    .option('--to <queue>', 'send every message to this queue instead, named as the site does')
    .option('-w, --wait <seconds>', 'wait this long between two messages')
    .option('--dry-run', 'only say what would be sent; send and remove nothing');
  addManagementOptions(reinject);
  addSiteOptions(reinject);
  reinject.action(async (files: string[], options: ReinjectOptions) => {
    const wait = options.wait === undefined ? undefined : parseSeconds(options.wait, '--wait');
    const piped = (await namesFromStdin(io, files.length > 0)) ?? [];
    if (piped.length > 0) io.stdout(`${piped.length} filenames read from stdin\n`);
    const paths = [...files, ...piped].map((file) => resolve(io.cwd, file));
    if (paths.length === 0) throw new CliError('No DLQ message files given.');
    await withTransport(io, 'zocalo.dlq_reinject', options, async (site, transport, naming) => {
      const progress = createProgress(io, { label: 'reinjecting', total: paths.length, unit: 'files' });
      let outcomes: ReinjectOutcome[];
      try {
        outcomes = await dlqReinject(transport, paths, {
          // -d names the destination as the broker does (python-zocalo); --to as the site does.
          to: options.destination ?? (options.to === undefined ? undefined : naming.brokerName(options.to)),
          wait,
          remove: options.remove === true,
          dryRun: options.dryRun,
          onParsed: options.verbose
            ? (file, saved) =>
                io.stdout(
                  `Parsing message from ${file}\n${JSON.stringify({ header: saved.header, message: saved.message ?? saved.body }, null, 2)}\n`,
                )
            : undefined,
          exchangeType: exchangeTypeFor(site, options),
          onProgress: (outcome, done) => {
            progress.update(done);
            const how = outcome.broadcast ? 'broadcast to' : 'sent to';
            if (outcome.status === 'dry-run')
              io.stdout(
                `${outcome.file}: would ${outcome.broadcast ? 'broadcast' : 'send'} to ${outcome.queue}\n`,
              );
            else if (outcome.status === 'sent') {
              io.stdout(
                `${outcome.file}: ${how} ${outcome.queue}${outcome.removed ? ', file removed' : ''}\n`,
              );
            } else io.stderr(`zocalo dlq reinject: ${outcome.file}: ${outcome.status}: ${outcome.error}\n`);
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
