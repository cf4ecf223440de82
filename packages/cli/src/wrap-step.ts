/**
 * Running an external program as a recipe step, for `zocalo wrap` (python-zocalo's `zocalo.wrap`
 * and `BaseWrapper`). The step's message is read from a file (the envelope a service would have
 * received); the program gets, on stdin, `{"recipe-pointer", "parameters", "payload",
 * "environment"}` as JSON (and `ZOCALO_RECIPE_ID`, `ZOCALO_RECIPE_POINTER`, `ZOCALO_PARAMETERS`
 * in its environment), and prints its result as JSON on stdout. Then:
 *
 * - before it starts: `starting` (named output) gets `"Starting processing"`;
 * - exit code 0: the step's outputs (`send`) and the named output `success` get
 *   `{"exit_code": 0, "result": <stdout JSON>}`;
 * - any other exit (or no start at all): the step's `error` steps and the named output `failure`
 *   get `{"exit_code", "result", "error", "stderr"}` (the last 4 kB of stderr);
 * - at the end: `completed` gets `"Finished processing"`.
 *
 * While it runs, a status broadcast goes out every 3 s (Python's interval): `host`, `task`,
 * `status`/`statustext` (starting, processing, then shutdown or error), `workflows`, and `service`
 * (the task, for status views that show services).
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { RecipeWrapper } from '@zocalo/recipes';
import type { Logger, ServiceStateValue, StatusMessage, Transport } from '@zocalo/workflows';
import { ServiceState, WORKFLOWS_VERSION, stateText, uniqueHostId } from '@zocalo/workflows';

/** Seconds between status broadcasts of a wrapped program (python-zocalo's `StatusNotifications`). */
export const WRAP_STATUS_INTERVAL = 3;

const STDERR_TAIL = 4096;
const STDOUT_LIMIT = 64 * 1024 * 1024;

export interface WrapStepOptions {
  /** A connected transport, for the status broadcasts and the recipe's sends. */
  readonly transport: Transport;
  /** The step's recipe wrapper; without one, only status is reported. */
  readonly wrapper?: RecipeWrapper;
  readonly command: string;
  readonly args?: readonly string[];
  /** The name shown in status views. Default: the program's file name (+ the step's `wrapper.task_information`). */
  readonly task?: string;
  /** Seconds between status broadcasts. Default 3. */
  readonly statusInterval?: number;
  readonly logger: Logger;
  readonly hostId?: string;
  /** Where the program's stderr goes (as well as into the failure message). Default: ours. */
  readonly stderr?: (chunk: Buffer) => void;
  /** Aborting it terminates the program (SIGTERM). */
  readonly signal?: AbortSignal;
}

/** How the program ended and what was sent. */
export interface WrapStepResult {
  readonly success: boolean;
  /** The exit code; null when it was killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Parsed stdout (JSON), its text if it is not JSON, null if empty. */
  readonly result: unknown;
  /** Why it failed, when it did. */
  readonly error?: string;
  /** What was sent to the recipe (undefined without a wrapper). */
  readonly payload: Record<string, unknown>;
}

function ownValue(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** The name of a wrapped task in status views. */
export function taskName(command: string, wrapper?: RecipeWrapper): string {
  const information = ownValue(ownValue(wrapper?.recipeStep, 'wrapper'), 'task_information');
  const name = basename(command);
  return information === undefined || information === null ? name : `${name} (${String(information)})`;
}

/** Status broadcasts of a wrapped program. */
class WrapStatus {
  private state: ServiceStateValue = ServiceState.STARTING;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly transport: Transport,
    private readonly identity: { host: string; task: string },
    private readonly interval: number,
    private readonly logger: Logger,
  ) {}

  message(): StatusMessage {
    return {
      host: this.identity.host,
      task: this.identity.task,
      service: this.identity.task,
      serviceclass: 'zocalo.wrap',
      workflows: WORKFLOWS_VERSION,
      status: this.state,
      statustext: stateText(this.state),
    };
  }

  set(state: ServiceStateValue): void {
    this.state = state;
    this.announce();
  }

  private announce(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.announce(), this.interval * 1000);
    const message = this.message();
    this.sending = this.sending
      .then(() => this.transport.broadcastStatus(message))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not broadcast the status'));
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.sending;
  }
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

function runProgram(options: WrapStepOptions, input: string, env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let settled = false;
    const child = spawn(options.command, [...(options.args ?? [])], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const finish = (finished: Finished): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      resolve(finished);
    };
    const abort = (): void => void child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error) =>
      finish({ exitCode: null, signal: null, stdout: '', stderr, spawnError: error }),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes <= STDOUT_LIMIT) stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      (options.stderr ?? ((data: Buffer) => void process.stderr.write(data)))(chunk);
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('close', (code, signal) =>
      finish({ exitCode: code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr }),
    );
    child.stdin.on('error', () => undefined); // a program that does not read its input
    child.stdin.end(input);
  });
}

/** Run the program as the step and send what it produced along the recipe. */
export async function wrapStep(options: WrapStepOptions): Promise<WrapStepResult> {
  const { transport, wrapper, logger } = options;
  const status = new WrapStatus(
    transport,
    { host: options.hostId ?? uniqueHostId(), task: options.task ?? taskName(options.command, wrapper) },
    options.statusInterval ?? WRAP_STATUS_INTERVAL,
    logger,
  );
  status.set(ServiceState.STARTING);
  try {
    const parameters =
      (ownValue(wrapper?.recipeStep, 'parameters') as Record<string, unknown> | undefined) ?? {};
    if (wrapper) await wrapper.sendTo('starting', 'Starting processing');
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
    status.set(ServiceState.PROCESSING);
    logger.info({ command: options.command, args: options.args }, 'Setup complete, starting processing');
    const finished = await runProgram(options, input, env);
    const result = parseResult(finished.stdout);
    const success = finished.spawnError === undefined && finished.exitCode === 0;
    const error = finished.spawnError
      ? `cannot run ${options.command}: ${(finished.spawnError as NodeJS.ErrnoException).code ?? finished.spawnError.message}`
      : finished.signal
        ? `${basename(options.command)} was terminated by ${finished.signal}`
        : success
          ? undefined
          : `${basename(options.command)} exited with code ${finished.exitCode}`;
    const payload: Record<string, unknown> = success
      ? { exit_code: 0, result }
      : { exit_code: finished.exitCode, result, error, stderr: finished.stderr };
    if (wrapper) {
      if (success) {
        await wrapper.send(payload);
        await wrapper.sendTo('success', payload);
      } else {
        await sendToErrorSteps(wrapper, transport, payload);
        await wrapper.sendTo('failure', payload);
      }
      await wrapper.sendTo('completed', 'Finished processing');
    }
    if (success) logger.info({}, 'successfully finished processing');
    else logger.warn({ error }, `processing failed: ${error}`);
    status.set(success ? ServiceState.END : ServiceState.ERROR);
    return { success, exitCode: finished.exitCode, signal: finished.signal, result, error, payload };
  } catch (error) {
    status.set(ServiceState.ERROR);
    throw error;
  } finally {
    await status.stop();
  }
}
