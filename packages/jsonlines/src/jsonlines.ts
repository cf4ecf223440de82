/**
 * The JSONLines service (python-zocalo's `zocalo.service.jsonlines.JSONLines`, "JSON Lines"): appends
 * each recipe message of `jsonlines` to a file, as one line of JSON (Python's `json.dumps`, see
 * `python-json.ts`).
 *
 * The recipe step's parameters, as Python reads them:
 * - `output_filename`: the file. Used as given (a relative path is taken from the working directory,
 *   `~` is not expanded); the folders to it are made. There is no rotation of its own: the recipe names
 *   the file, so a site that wants a file a day fills the name from its parameters
 *   (`/dls/tmp/zocalo/{date}/hits.jsonl`), and a file moved away (logrotate) is started anew with the
 *   next message, since each line is appended to whatever is at the path then.
 * - `include`: only these keys of the message (an object) are written; `exclude`: these keys are not.
 *   Both are Python sets: a list of keys, an object (its keys) or a text (its characters, as Python's
 *   `set("abc")`).
 *
 * A message is acknowledged once its line is written. One that is not a recipe message, whose step
 * has no `output_filename`, or whose filter cannot be applied, is rejected (dead-lettered) with the
 * reason; so is one whose line cannot be written (Python nacks it with the error logged), through a
 * {@link JsonLinesWriteError}.
 *
 * python-zocalo holds up to 100 messages (prefetch 100) and writes them in one go when it has 100 or
 * has been idle for a second. Here each message's line is written when the message is handled, and the
 * runtime's prefetch applies (one message in flight per message handled at once): the same lines in
 * the same order, and no message waits a second for its acknowledgement.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RecipeWrapper } from '@zocalo/recipes';
import { pyRepr, recipeHandler } from '@zocalo/recipes';
import type { MessageContext, ServiceContext } from '@zocalo/workflows';
import { Service } from '@zocalo/workflows';
import { JsonLinesWriteError } from './errors';
import { pythonJsonDumps } from './python-json';

/** python-zocalo's queue of the JSONLines service. */
export const JSONLINES_QUEUE = 'jsonlines';

export interface JsonLinesOptions {
  /** The queue to listen on. Default `jsonlines`. */
  readonly queue?: string;
  /** Where a relative `output_filename` is taken from. Default the process's working directory. */
  readonly cwd?: string;
}

/** The line to write and where, or why the message cannot be written. */
export type JsonLine =
  | { readonly kind: 'line'; readonly path: string; readonly line: string }
  | { readonly kind: 'reject'; readonly reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Python's `set(value)` of a parameter, or why Python cannot make one. */
function pythonSet(name: string, value: unknown): Set<unknown> | string {
  if (value === undefined) return new Set();
  if (typeof value === 'string') return new Set(Array.from(value));
  if (isObject(value)) return new Set(Object.keys(value));
  if (Array.isArray(value)) {
    const unhashable = value.find((item) => item !== null && typeof item === 'object');
    if (unhashable === undefined) return new Set(value);
    return `the ${name} parameter must list keys, not ${pyRepr(unhashable)}`;
  }
  return `the ${name} parameter must be a list of keys, not ${pyRepr(value)}`;
}

/**
 * What python-zocalo's `JSONLines.receive_msg` makes of one recipe message: its file and line (with
 * the line break), or the reason it is rejected.
 */
export function jsonLine(parameters: unknown, message: unknown, cwd: string = process.cwd()): JsonLine {
  const step = isObject(parameters) ? parameters : {};
  const filename = step.output_filename;
  if (filename === undefined || filename === null || filename === '') {
    return { kind: 'reject', reason: 'Received message contains no output_filename' };
  }
  if (typeof filename !== 'string') {
    return { kind: 'reject', reason: `output_filename must be a path (text), not ${pyRepr(filename)}` };
  }
  const exclude = pythonSet('exclude', step.exclude);
  if (typeof exclude === 'string') return { kind: 'reject', reason: exclude };
  const include = pythonSet('include', step.include);
  if (typeof include === 'string') return { kind: 'reject', reason: include };
  let filtered = message;
  if (include.size > 0 || exclude.size > 0) {
    if (!isObject(message)) {
      return {
        kind: 'reject',
        reason: `include and exclude choose keys of a message that is a dictionary, not of ${pyRepr(message)}`,
      };
    }
    filtered = Object.fromEntries(
      Object.entries(message).filter(
        ([key]) => (include.size === 0 || include.has(key)) && !exclude.has(key),
      ),
    );
  }
  return { kind: 'line', path: resolve(cwd, filename), line: `${pythonJsonDumps(filtered)}\n` };
}

export class JSONLines extends Service {
  /** python-zocalo's human-readable name, as status broadcasts show it. */
  readonly name = 'JSON Lines';
  readonly queue: string;
  private readonly cwd: string | undefined;

  constructor(options: JsonLinesOptions = {}) {
    super();
    this.queue = options.queue ?? JSONLINES_QUEUE;
    this.cwd = options.cwd;
  }

  /** A fixed class name, so that shutdown commands find it whatever a bundler does to the code. */
  override get serviceClass(): string {
    return 'JSONLines';
  }

  override async initializing(ctx: ServiceContext): Promise<void> {
    ctx.logger.debug({ queue: this.queue }, 'JSON Lines starting');
    await ctx.subscribe(
      this.queue,
      recipeHandler((rw, msg) => this.write(rw, msg)),
      // Python's exclusive consumer: one writer per queue, so that lines never interleave out of order.
      // No transaction: the service sends nothing.
      { exclusive: ctx.transport.capabilities.exclusive ? true : undefined, transaction: false },
    );
  }

  /** Write one message's line; the runtime acknowledges the message when this returns. */
  async write(rw: RecipeWrapper, msg: MessageContext): Promise<void> {
    const decision = jsonLine(rw.recipeStep?.parameters, rw.payload, this.cwd ?? process.cwd());
    if (decision.kind === 'reject') return msg.reject(decision.reason);
    msg.logger.debug({ file: decision.path }, `Writing 1 messages to ${decision.path}`);
    try {
      await mkdir(dirname(decision.path), { recursive: true });
      await appendFile(decision.path, decision.line, { encoding: 'utf8' });
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      throw new JsonLinesWriteError(
        `Uncaught exception ${typeof code === 'string' ? `${code}: ` : ''}${
          error instanceof Error ? error.message : String(error)
        } writing messages to ${decision.path}`,
        decision.path,
        { cause: error },
      );
    }
  }
}
