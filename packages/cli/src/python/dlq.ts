/**
 * python-zocalo's dead-letter tools with their own arguments (argparse): `zocalo.dlq_check [-n NS]`,
 * `zocalo.dlq_purge [--wait S] [--location DIR] [queue ...]`, `zocalo.dlq_reinject [-r] [-v] [-d DEST]
 * [-w S] [file ...]`. The work is the `zocalo dlq` face's (the @zocalo/schlockmeister functions and
 * dead-letters.ts); what these add is Python's command line, printed lines and exit codes, odd ones
 * included: `dlq_check` exits 1 when it finds dead letters, and on RabbitMQ looks only at the vhost
 * `zocalo` unless `-n` names another; `dlq_purge` works on `DLQ.<queue>` through a STOMP prefix `DLQ`
 * it puts in front of the command line (a later `--stomp-prfx` wins, as in Python).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { pformat } from '@zocalo/recipes';
import type { DlqCount, DlqFile } from '@zocalo/schlockmeister';
import { dlqPurge, dlqReinject, pythonLocalTime } from '@zocalo/schlockmeister';
import type { Transport } from '@zocalo/workflows';
import { exchangeTypeFor, namesFromStdin } from '../commands/dlq';
import { deadLetterBroker, managementFor, queueNaming } from '../dead-letters';
import type { Site } from '../site';
import { disconnectQuietly } from '../site';
import type { PythonCommand } from './python-command';
import { createPythonParser, parsePythonArgs, pythonExit } from './python-parser';
import { addPythonSiteOptions, pythonSite } from './python-site';

/** Which of Python's two transports a site's is: the tools branch on `StompTransport` / `PikaTransport`. */
function brokerOf(site: Site): 'stomp' | 'pika' | undefined {
  if (site.transportName === 'stomp') return 'stomp';
  if (site.transportName === 'amqp' || site.transportName === 'pika') return 'pika';
  return undefined;
}

/**
 * `-w` has no type in Python, which calls `float()` on it before its second send; checked up front
 * here, with Python's message, so that a bad value fails before anything was sent.
 */
function pythonFloat(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = Number(value);
  if (String(value).trim() === '' || Number.isNaN(number)) {
    pythonExit(`ValueError: could not convert string to float: '${String(value)}'`);
  }
  return number;
}

async function connected<T>(site: Site, run: (transport: Transport) => Promise<T>): Promise<T> {
  const transport = await site.connect(queueNaming(site).settings);
  try {
    return await run(transport);
  } finally {
    await disconnectQuietly(transport, site.logger);
  }
}

/** RabbitMQ's dead-letter counts of one vhost (every vhost's queues are listed, as Python's `/queues`). */
async function rabbitCounts(site: Site, vhost: string): Promise<DlqCount[]> {
  const management = managementFor(site, {});
  let answer: unknown;
  try {
    answer = await management.request('GET', '/api/queues');
  } catch (error) {
    pythonExit(`The RabbitMQ management API did not answer: ${(error as Error).message}`);
  }
  const queues = Array.isArray(answer) ? (answer as Array<Record<string, unknown>>) : [];
  return queues
    .filter((queue) => typeof queue.name === 'string' && queue.name.startsWith('dlq.'))
    .filter((queue) => queue.vhost === vhost && Number(queue.messages ?? 0) > 0)
    .map((queue) => ({ queue: String(queue.name), messages: Number(queue.messages) }));
}

export const pythonDlqCheck: PythonCommand = async (argv, io) => {
  const parser = createPythonParser({
    prog: 'zocalo.dlq_check',
    style: 'argparse',
    usage: 'zocalo.dlq_check [options]',
    questionMarkHelp: true,
    epilog:
      'As python-zocalo: exits 1 when dead letters are found. On RabbitMQ the namespace is a vhost, ' +
      "'zocalo' unless given; on ActiveMQ it narrows to DLQ.<namespace>.*.",
    io,
  });
  parser.add_argument('-n', '--namespace', {
    dest: 'namespace',
    default: '',
    help: 'Restrict check to this namespace',
  });
  addPythonSiteOptions(parser, io, { transportArgument: true });
  const args = parsePythonArgs(parser, argv, 'argparse');
  const site = pythonSite(io, 'zocalo.dlq_check', args);
  const namespace = String(args.namespace);
  const broker = brokerOf(site);
  let counts: DlqCount[];
  if (broker === 'stomp') {
    const prefix = namespace ? `DLQ.${namespace}.` : 'DLQ.';
    counts = await connected(site, async (transport) =>
      (await deadLetterBroker(site, transport, {}).counts()).filter((count) =>
        count.queue.startsWith(prefix),
      ),
    );
  } else if (broker === 'pika') {
    counts = await rabbitCounts(site, namespace || 'zocalo');
  } else {
    return pythonExit(`Transport ${site.transportName} not recognised`);
  }
  const own = broker === 'stomp' ? 'DLQ.' : 'dlq.';
  for (const { queue, messages } of counts) {
    io.stdout(`DLQ for ${queue.replaceAll(own, '')} contains ${messages} entries\n`);
  }
  const total = counts.reduce((sum, count) => sum + count.messages, 0);
  if (total) pythonExit(`Total of ${total} DLQ messages found`);
  io.stdout('No DLQ messages found\n');
  return 0;
};

/**
 * The ActiveMQ queues under the site's STOMP prefix and then `under` (`DLQ.zocalo.*`), named as the
 * prefixed transport names them. Python subscribes to the wildcard `zocalo.>` instead; ActiveMQ does not
 * hand such a consumer the messages already waiting in queues that exist, so they are listed (through
 * Jolokia or the statistics plugin, on a connection without the prefix, as these are named outside it).
 */
async function activemqUnder(site: Site, under: string): Promise<string[]> {
  const naming = queueNaming(site);
  const start = naming.prefix === undefined ? under : naming.brokerName(under);
  const counts = await connected(site, (plain) =>
    deadLetterBroker(site, plain, {}, { settings: naming.settings, brokerName: (queue) => queue }).counts(),
  );
  return counts
    .map((count) => count.queue)
    .filter((queue) => queue.startsWith(start))
    .map((queue) => queue.slice(start.length - under.length));
}

export const pythonDlqPurge: PythonCommand = async (argv, io) => {
  const prog = 'zocalo.dlq_purge';
  const parser = createPythonParser({
    prog,
    style: 'argparse',
    usage: 'zocalo.dlq_purge [options] [queue [queue ...]]',
    questionMarkHelp: true,
    epilog:
      'As python-zocalo: on ActiveMQ the queues are read through the STOMP prefix DLQ (so QUEUE is ' +
      'DLQ.QUEUE, and no queue means DLQ.zocalo.>); on RabbitMQ QUEUE is dlq.QUEUE, and no queue means ' +
      'every dlq.* queue.',
    io,
  });
  parser.add_argument('--wait', {
    dest: 'wait',
    type: 'float',
    help: 'Wait this many seconds for incoming messages',
  });
  parser.add_argument('--location', {
    dest: 'location',
    help: 'Where to write out DLQ message files (default: storage zocalo.dlq.purge_location, else ./DLQ)',
  });
  parser.add_argument('queues', {
    nargs: '*',
    help: 'Queues to purge of dead letters. For RabbitMQ do not include the dlq. prefix in the queue names',
  });
  addPythonSiteOptions(parser, io, { transportArgument: true });
  const args = parsePythonArgs(parser, ['--stomp-prfx=DLQ', ...argv], 'argparse');
  // Python's `args.wait or 3`: 0 is the default too.
  const wait = (args.wait as number | undefined) || undefined;
  const site = pythonSite(io, prog, args);
  const stored = site.configuration.storage['zocalo.dlq.purge_location'];
  const location =
    typeof args.location === 'string'
      ? args.location
      : typeof stored === 'string' && stored
        ? stored
        : './DLQ';
  const dir = resolve(io.cwd, location);
  const broker = brokerOf(site);
  const given = args.queues as string[];
  // Connected with the site's settings, DLQ prefix and all: the transport puts it in front.
  const transport = await site.connect();
  let failed = 0;
  try {
    let queues = broker === 'pika' ? given.map((queue) => `dlq.${queue}`) : given;
    if (queues.length === 0 && broker === 'stomp') {
      io.stdout('Looking for DLQ messages in zocalo.>\n');
      queues = await activemqUnder(site, 'zocalo.');
    } else if (queues.length === 0 && broker === 'pika') {
      queues = (await deadLetterBroker(site, transport, {}).counts()).map((count) => count.queue);
    }
    if (given.length > 0 || broker !== 'stomp') {
      for (const queue of queues) io.stdout(`Looking for DLQ messages in ${queue}\n`);
    }
    if (queues.length > 0) await mkdir(dir, { recursive: true });
    // All at once, as Python subscribes to every queue before it waits.
    const results = await Promise.all(
      queues.map((queue) =>
        dlqPurge(transport, queue, dir, {
          wait,
          broker: broker === 'pika' ? 'rabbitmq' : broker === 'stomp' ? 'activemq' : undefined,
          onExported: ({ file, messageId, time }) =>
            io.stdout(
              `Message ${messageId} (${pythonLocalTime(time)}) exported:\n  ${join(location, relative(dir, file))}\n`,
            ),
        }),
      ),
    );
    for (const result of results) {
      failed += result.failed;
      if (result.error !== undefined) io.stderr(`${prog}: ${result.error}; it stays in ${result.dlq}\n`);
    }
  } finally {
    await disconnectQuietly(transport, site.logger);
  }
  io.stdout('Done.\n');
  return failed > 0 ? 1 : 0;
};

/** Python's `pprint` of a message file (pformat: keys sorted, wrapped at 80 columns). */
function pprint(saved: DlqFile): string {
  const content: Record<string, unknown> = { header: saved.header, message: saved.message ?? saved.body };
  if (saved.exported) content.exported = saved.exported;
  return `${pformat(content)}\n`;
}

export const pythonDlqReinject: PythonCommand = async (argv, io) => {
  const prog = 'zocalo.dlq_reinject';
  const parser = createPythonParser({
    prog,
    style: 'argparse',
    usage: 'zocalo.dlq_reinject [options] file [file [..]]',
    questionMarkHelp: true,
    epilog:
      'As python-zocalo: file names are also read from standard input (the "  /path" lines of ' +
      'zocalo.dlq_purge); a file is kept unless -r; a file that is not a DLQ message ends the run (exit 1).',
    io,
  });
  parser.add_argument('-r', '--remove', {
    action: 'store_true',
    default: false,
    dest: 'remove',
    help: 'Delete file on successful reinjection',
  });
  parser.add_argument('-v', '--verbose', {
    action: 'store_true',
    default: false,
    dest: 'verbose',
    help: 'Show message contents',
  });
  parser.add_argument('-d', '--destination', {
    dest: 'destination_override',
    help: 'Reinject messages to a different destination. Any name given must include the stomp prefix.',
  });
  parser.add_argument('-w', '--wait', { dest: 'wait', help: 'Wait this many seconds between reinjections' });
  parser.add_argument('files', { nargs: '*', help: 'File(s) containing DLQ messages to be reinjected' });
  addPythonSiteOptions(parser, io, { transportArgument: true });
  const args = parsePythonArgs(parser, argv, 'argparse');
  const wait = pythonFloat(args.wait);
  const site = pythonSite(io, prog, args);
  const given = args.files as string[];
  const piped = await namesFromStdin(io, given.length > 0);
  if (piped !== undefined) io.stdout(`${piped.length} filenames read from stdin\n`);
  const files = [...given, ...(piped ?? [])];
  if (files.length === 0) pythonExit('No DLQ message files given.');
  const broker = brokerOf(site);
  const destination =
    typeof args.destination_override === 'string' && args.destination_override
      ? args.destination_override
      : undefined;
  await connected(site, async (transport) => {
    const exchangeType = exchangeTypeFor(site, {});
    let first = true;
    for (const name of files) {
      const file = resolve(io.cwd, name);
      if (!existsSync(file)) {
        io.stdout(`Ignoring missing file ${name}\n`);
        continue;
      }
      if (!first && wait) await new Promise((done) => setTimeout(done, wait * 1000));
      first = false;
      const [outcome] = await dlqReinject(transport, [file], {
        to: destination,
        remove: args.remove === true,
        exchangeType,
        onParsed: (_file, saved) => {
          io.stdout(`Parsing message from ${name}\n`);
          if (args.verbose) io.stdout(pprint(saved));
          if (broker === 'stomp') io.stdout(saved.kind === 'topic' ? 'broadcasting...\n' : 'sending...\n');
          else if (broker === 'pika') io.stdout('pika transport detected\n');
        },
      });
      if (outcome.status === 'invalid') {
        io.stdout(`Parsing message from ${name}\n`);
        pythonExit(`File is not a valid DLQ message.\n${name}: ${outcome.error ?? ''}`);
      }
      if (outcome.status === 'failed') pythonExit(`${name}: ${outcome.error ?? 'the send failed'}`);
      io.stdout('Done.\n\n');
    }
  });
  return 0;
};
