/**
 * The built-in `command` wrapper: an external program as the recipe step (what `zocalo wrap` did
 * before wrappers could be picked by name; `zocalo wrap --wrap PROGRAM` still runs it). The program
 * and its arguments are the wrapper's arguments (`zocalo wrap --wrap command -- PROGRAM ARGS...`).
 * It gets, on stdin, `{"recipe-pointer", "parameters", "payload", "environment"}` as JSON (and
 * `ZOCALO_RECIPE_ID`, `ZOCALO_RECIPE_POINTER`, `ZOCALO_PARAMETERS` in its environment), and prints
 * its result as JSON on stdout. Then:
 *
 * - exit code 0: the step's outputs (`send`) and `success` get `{"exit_code": 0, "result": <stdout JSON>}`;
 * - any other exit (or no start at all): the step's `error` steps and `failure` get
 *   `{"exit_code", "result", "error", "stderr"}` (the last 4 kB of stderr);
 * - stopped (SIGTERM to `zocalo wrap`): the program gets SIGTERM, and that is a failure.
 *
 * `zocalo wrap` exits with the program's exit code (1 when it could not start or was killed). The
 * task in status views is the program's file name.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { RecipeWrapper } from '@zocalo/recipes';
import type { Transport } from '@zocalo/workflows';
import type { WrapperContext, WrapperOutcome } from './base-wrapper';
import { BaseWrapper } from './base-wrapper';
import { WrapperError } from './errors';

const STDERR_TAIL = 4096;
const STDOUT_LIMIT = 64 * 1024 * 1024;

function ownValue(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function links(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  return Array.isArray(value) ? value.filter((item): item is number => typeof item === 'number') : [];
}

/**
 * Send `payload` to the current step's `error` steps, as the wrapper sends to its outputs (the
 * recipe header, the target's `transport-delay` and `exchange`, its queue and/or topic).
 */
export async function sendToErrorSteps(
  wrapper: RecipeWrapper,
  transport: Transport,
  payload: unknown,
): Promise<number> {
  const targets = links(ownValue(wrapper.recipeStep, 'error'));
  for (const number of targets) {
    const step = wrapper.recipe.step(number);
    if (!step) continue;
    const message = wrapper.envelope(number, payload);
    const headers = { 'workflows-recipe': true };
    const delay = typeof step['transport-delay'] === 'number' ? step['transport-delay'] : undefined;
    if (step.queue)
      await transport.send(step.queue, message, { headers, delay, exchange: step.exchange || undefined });
    if (step.topic) await transport.broadcast(step.topic, message, { headers, delay });
  }
  return targets.length;
}

function parseResult(stdout: string): unknown {
  const text = stdout.trim();
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface Finished {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawnError?: Error;
}

/** Where a {@link CommandWrapper}'s program's stderr goes, besides the failure message. Default: ours. */
export type StderrSink = (chunk: Buffer) => void;

export class CommandWrapper extends BaseWrapper {
  /** Where the program's stderr is copied (tests capture it); default this process's stderr. */
  static stderr: StderrSink = (chunk) => void process.stderr.write(chunk);

  readonly command: string;
  readonly commandArgs: readonly string[];

  constructor(context: WrapperContext) {
    super(context);
    const [command, ...args] = context.args;
    if (!command) {
      throw new WrapperError(
        'the command wrapper needs a program to run: zocalo wrap --wrap command -- PROGRAM [ARGS...]',
      );
    }
    this.command = command;
    this.commandArgs = args;
    context.status.task = basename(command);
  }

  async run(): Promise<WrapperOutcome> {
    const wrapper = this.recipeWrapper;
    const parameters =
      (ownValue(wrapper?.recipeStep, 'parameters') as Record<string, unknown> | undefined) ?? {};
    const input = JSON.stringify({
      'recipe-pointer': wrapper?.recipePointer ?? null,
      parameters,
      payload: wrapper?.payload ?? null,
      environment: wrapper?.environment ?? {},
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ZOCALO_PARAMETERS: JSON.stringify(parameters),
      ...(wrapper?.recipeId ? { ZOCALO_RECIPE_ID: wrapper.recipeId } : {}),
      ...(wrapper?.recipePointer ? { ZOCALO_RECIPE_POINTER: String(wrapper.recipePointer) } : {}),
    };
    this.logger.info({ command: this.command, args: this.commandArgs }, `running ${this.command}`);
    const finished = await this.runProgram(input, env);
    const result = parseResult(finished.stdout);
    const success = finished.spawnError === undefined && finished.exitCode === 0;
    const name = basename(this.command);
    const error = finished.spawnError
      ? `cannot run ${this.command}: ${(finished.spawnError as NodeJS.ErrnoException).code ?? finished.spawnError.message}`
      : finished.signal
        ? `${name} was terminated by ${finished.signal}`
        : success
          ? undefined
          : `${name} exited with code ${finished.exitCode}`;
    const payload: Record<string, unknown> = success
      ? { exit_code: 0, result }
      : { exit_code: finished.exitCode, result, error, stderr: finished.stderr };
    if (wrapper) {
      if (success) await wrapper.send(payload);
      else await sendToErrorSteps(wrapper, this.transport, payload);
    }
    if (!success) this.logger.warn({ error }, `${error}`);
    return { success, payload, exitCode: success ? 0 : finished.exitCode || 1 };
  }

  private runProgram(input: string, env: NodeJS.ProcessEnv): Promise<Finished> {
    return new Promise((resolve) => {
      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      let stderr = '';
      let settled = false;
      const sink = (this.constructor as typeof CommandWrapper).stderr;
      const child = spawn(this.command, [...this.commandArgs], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      const abort = (): void => void child.kill('SIGTERM');
      const finish = (finished: Finished): void => {
        if (settled) return;
        settled = true;
        this.signal.removeEventListener('abort', abort);
        resolve(finished);
      };
      if (this.signal.aborted) abort();
      else this.signal.addEventListener('abort', abort, { once: true });
      child.on('error', (error) =>
        finish({ exitCode: null, signal: null, stdout: '', stderr, spawnError: error }),
      );
      child.stdout.on('data', (chunk: Buffer) => {
        stdoutBytes += chunk.length;
        if (stdoutBytes <= STDOUT_LIMIT) stdout.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        sink(chunk);
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      child.on('close', (code, signal) =>
        finish({ exitCode: code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr }),
      );
      child.stdin.on('error', () => undefined); // a program that does not read its input
      child.stdin.end(input);
    });
  }
}
