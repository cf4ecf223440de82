/**
 * `zocalo.queue_drain SOURCE DEST [--wait S] [--stop S]`: python-zocalo's drain (argparse), on the
 * `zocalo queue drain` face's library function {@link queueDrain}. As Python: `--wait` (default 5)
 * seconds between two deliveries, `--stop` (default 60, 0 = forever) seconds without a message before it
 * ends, `DEST` `.` sends each recipe message on to its current step's queue, and each message is
 * printed with its date, recipe ID and target.
 */
import type { ReceivedHeaders } from '@zocalo/workflows';
import { RecipeWrapper } from '@zocalo/recipes';
import { pythonLocalTime, queueDrain } from '@zocalo/schlockmeister';
import { disconnectQuietly } from '../site';
import type { PythonCommand } from './python-command';
import { SUPPRESS, createPythonParser, parsePythonArgs, pythonExit } from './python-parser';
import { addPythonSiteOptions, pythonSite } from './python-site';

/** What Python's drain prints about one message before it sends it on. */
interface Described {
  readonly lines: string[];
  /** The recipe step's queue, when the body is a recipe message whose step has one. */
  readonly stepQueue?: string;
  readonly step?: { readonly parameters?: unknown };
}

function describe(header: ReceivedHeaders, body: string | Buffer, dest: string): Described {
  const lines: string[] = [];
  const timestamp = Number(header.timestamp);
  if (header.timestamp !== undefined && Number.isFinite(timestamp)) {
    lines.push(`Message date: ${pythonLocalTime(new Date(timestamp))}`);
  }
  let message: unknown;
  try {
    message = JSON.parse(body.toString());
  } catch {
    return { lines };
  }
  const environment = (message as { environment?: { ID?: unknown } } | null)?.environment;
  if (environment?.ID === undefined) return { lines };
  lines.push(`Recipe ID:    ${String(environment.ID)}`);
  let step;
  try {
    step = RecipeWrapper.fromMessage(message).recipeStep;
  } catch {
    return { lines };
  }
  const stepQueue = typeof step?.queue === 'string' ? step.queue : undefined;
  const target = dest === '.' ? stepQueue : dest;
  if (dest === '.' && stepQueue !== undefined) lines.push(`Target Queue: ${stepQueue}`);
  // Python's show_cluster_info, for messages to the cluster submission service.
  if (target === 'cluster.submission') {
    const parameters = (step?.parameters ?? {}) as Record<string, unknown>;
    if (typeof parameters.cluster_project === 'string') {
      lines.push(`Beamline ${parameters.cluster_project.toUpperCase()}`);
    }
    if (typeof parameters.workingdir === 'string') lines.push(`Working directory ${parameters.workingdir}`);
  }
  return { lines, stepQueue, step };
}

export const pythonQueueDrain: PythonCommand = async (argv, io) => {
  const prog = 'zocalo.queue_drain';
  const parser = createPythonParser({
    prog,
    style: 'argparse',
    usage: 'zocalo.queue_drain [options] source destination',
    io,
  });
  parser.add_argument('-?', { action: 'help', help: SUPPRESS });
  parser.add_argument('SOURCE', { help: 'Source queue name' });
  parser.add_argument('DEST', {
    help: "Destination queue name; use '.' to automatically determine destination for recipe messages",
  });
  parser.add_argument('--wait', {
    dest: 'wait',
    type: 'float',
    default: 5,
    help: 'Wait this many seconds between deliveries',
  });
  parser.add_argument('--stop', {
    dest: 'stop',
    type: 'float',
    default: 60,
    help: 'Stop if no message seen for this many seconds (0 = forever)',
  });
  addPythonSiteOptions(parser, io, { transportArgument: true });
  const args = parsePythonArgs(parser, argv, 'argparse');
  const source = String(args.SOURCE);
  const dest = String(args.DEST);
  const wait = Number(args.wait);
  const stop = Number(args.stop);
  const site = pythonSite(io, prog, args);
  // The site's settings as they are: like Python, the transport puts any STOMP prefix in front.
  const transport = await site.connect();
  const started = Date.now();
  let lastSeen = started;
  let result;
  try {
    io.stdout(`Reading messages from ${source}\n`);
    io.stdout(
      dest === '.'
        ? 'Writing messages to automatically determined destinations\n'
        : `Writing messages to ${dest}\n`,
    );
    const described = new Map<ReceivedHeaders, Described>();
    result = await queueDrain(
      transport,
      source,
      (header, body) => {
        const about = describe(header, body, dest);
        described.set(header, about);
        const target = dest === '.' ? about.stepQueue : dest;
        if (target === undefined) throw new Error('Could not determine target queue for message');
        return target;
      },
      {
        rate: wait > 0 ? 1 / wait : undefined,
        idleTimeout: stop > 0 ? stop : Infinity,
        onMoved: ({ header, count }) => {
          lastSeen = Date.now();
          const lines = described.get(header)?.lines ?? [];
          described.delete(header);
          io.stdout(
            `\n${lines.map((line) => `${line}\n`).join('')}` +
              `${String(count).padStart(4)} message(s) drained in ${((lastSeen - started) / 1000).toFixed(1)} seconds\n`,
          );
        },
      },
    );
  } finally {
    await disconnectQuietly(transport, site.logger);
  }
  if (result.failed > 0) {
    pythonExit(
      result.error === 'Could not determine target queue for message'
        ? result.error
        : `${result.error ?? 'a send failed'}; the messages not moved stay on ${source}`,
    );
  }
  io.stdout(
    `${result.moved} message(s) drained, no message seen for ${((Date.now() - lastSeen) / 1000).toFixed(1)} seconds\n`,
  );
  return 0;
};
