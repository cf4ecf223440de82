/**
 * `runSlurmJob`: what a Slurm-backed wrapper does with a step. It submits the job, hands the job id to
 * `onSubmitted` (the wrapper reports `starting` with it), polls `GET /job/{id}` until the job is over,
 * and resolves with the end state (the wrapper sends `success` or `failure`). A submission Slurm refuses
 * rejects with a SlurmJobRejectedError carrying Slurm's reason (a `failure` too).
 */
import { jobEnded } from './api-version';
import type { SlurmRestApi } from './client';
import { SlurmApiError, SlurmConnectionError, SlurmError } from './errors';
import type { SlurmJob, SlurmJobSettings, SlurmJobState, SlurmSubmission } from './types';

/** How a job ended, in a wrapper's words. */
export type SlurmJobOutcome = 'completed' | 'failed' | 'cancelled' | 'timeout';

/** What `runSlurmJob` resolves with. */
export interface SlurmJobResult {
  readonly jobId: number;
  /** `completed` (exit code 0), `failed` (a non-zero exit, a node or launch failure), `cancelled`, `timeout`. */
  readonly outcome: SlurmJobOutcome;
  /** Whether the job completed: the wrapper's `success`. */
  readonly success: boolean;
  /** Slurm's end state (`COMPLETED`, `FAILED`, `CANCELLED`, `TIMEOUT`, `NODE_FAIL`, ...). */
  readonly state: SlurmJobState;
  readonly exitCode?: number;
  readonly signal?: number;
  /** Slurm's reason (`NonZeroExitCode`, `None`). */
  readonly reason?: string;
  /** Whether `signal` (the AbortSignal) cancelled it. */
  readonly aborted: boolean;
  /** Milliseconds from the submission's answer until the end was seen. */
  readonly elapsed: number;
  /** The job as last seen. */
  readonly job: SlurmJob;
}

/** The options of {@link runSlurmJob}. */
export interface RunSlurmJobOptions {
  readonly api: SlurmRestApi;
  /** The job; with `command`, leave `script` out: it is made from the command. */
  readonly job: Omit<SlurmJobSettings, 'script'> & { readonly script?: string };
  /**
   * The command to run, as a shell command line (`'dials.import *.cbf'`) or as the program and its
   * arguments (`['dials.import', 'a.cbf']`, each quoted for the shell). The script is `#!/bin/sh` and it.
   */
  readonly command?: string | readonly string[];
  /** Milliseconds between two looks at the job. Default 2000. */
  readonly pollInterval?: number;
  /** Called with the job id as soon as Slurm accepted the job; if it throws, the job is cancelled. */
  readonly onSubmitted?: (jobId: number, submission: SlurmSubmission) => void | Promise<void>;
  /** Called each time the job's state changes (`PENDING`, `RUNNING`, ...), and with the end. */
  readonly onUpdate?: (job: SlurmJob) => void;
  /** Cancels the job (DELETE /job/{id}); `runSlurmJob` then resolves with its end (`cancelled`). */
  readonly signal?: AbortSignal;
  /** Failed looks in a row (slurmrestd away) before giving up. Default 5. */
  readonly maxPollFailures?: number;
}

/** `'a b'` → `'a b'` quoted for sh: single quotes, a quote inside as `'\''`. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The batch script of a command: `#!/bin/sh`, then the command (`exec`'d when given as words). */
export function commandScript(command: string | readonly string[]): string {
  const line = typeof command === 'string' ? command : `exec ${command.map(shellQuote).join(' ')}`;
  return `#!/bin/sh\n${line}\n`;
}

/** How an end state counts. */
export function jobOutcome(state: SlurmJobState): SlurmJobOutcome {
  if (state === 'COMPLETED') return 'completed';
  if (state === 'CANCELLED') return 'cancelled';
  if (state === 'TIMEOUT' || state === 'DEADLINE') return 'timeout';
  return 'failed';
}

/** `Slurm job 12 FAILED (exit code 3, NonZeroExitCode)`: for a wrapper's log and failure message. */
export function describeSlurmJobResult(result: SlurmJobResult): string {
  const details = [
    result.signal !== undefined ? `signal ${result.signal}` : undefined,
    result.exitCode !== undefined && (result.signal === undefined || result.exitCode !== 0)
      ? `exit code ${result.exitCode}`
      : undefined,
    result.reason && result.reason !== 'None' ? result.reason : undefined,
    result.aborted ? 'cancelled on request' : undefined,
  ].filter((part): part is string => part !== undefined);
  return `Slurm job ${result.jobId} ${result.state}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

/** Waits `ms`, or less if `signal` aborts meanwhile. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Submit a job, report its id, and wait for its end. Resolves with the end state whatever it is (a
 * failed job is not an error); rejects when the job could not be submitted (SlurmJobRejectedError, with
 * Slurm's reason), when slurmrestd stayed away for `maxPollFailures` looks, when the job vanished, or
 * with `signal`'s reason when aborted before anything was submitted.
 */
export async function runSlurmJob(options: RunSlurmJobOptions): Promise<SlurmJobResult> {
  const { api, signal } = options;
  const pollInterval = options.pollInterval ?? 2000;
  const maxPollFailures = options.maxPollFailures ?? 5;
  const script =
    options.job.script ?? (options.command !== undefined ? commandScript(options.command) : undefined);
  if (script === undefined) {
    throw new SlurmError('runSlurmJob: give the job a script, or a command to make one from');
  }
  signal?.throwIfAborted();
  // The submission is not aborted half-way: Slurm may have made the job even if the answer were dropped.
  const submission = await api.submitJob({ ...options.job, script });
  const { jobId } = submission;
  const submitted = Date.now();
  let cancelled = false;
  const cancel = async (): Promise<void> => {
    if (cancelled) return;
    cancelled = true;
    await api.cancelJob(jobId);
  };
  try {
    await options.onSubmitted?.(jobId, submission);
  } catch (error) {
    await cancel().catch(() => undefined);
    throw error;
  }
  let last: SlurmJob | undefined;
  let failures = 0;
  for (;;) {
    if (signal?.aborted && !cancelled) {
      // A job that ended meanwhile cannot be cancelled; the next look shows its end.
      await cancel().catch((error: unknown) => {
        if (!(error instanceof SlurmApiError)) throw error;
      });
    }
    let job: SlurmJob;
    try {
      job = await api.getJob(jobId);
      failures = 0;
    } catch (error) {
      if (!(error instanceof SlurmConnectionError) || ++failures >= maxPollFailures) throw error;
      await pause(pollInterval, cancelled ? undefined : signal);
      continue;
    }
    if (!last || last.state !== job.state || last.stateFlags.join() !== job.stateFlags.join()) {
      options.onUpdate?.(job);
    }
    last = job;
    if (jobEnded(job)) {
      return {
        jobId,
        outcome: jobOutcome(job.state),
        success: job.state === 'COMPLETED',
        state: job.state,
        exitCode: job.exitCode,
        signal: job.signal,
        reason: job.stateReason,
        aborted: cancelled,
        elapsed: Date.now() - submitted,
        job,
      };
    }
    await pause(pollInterval, cancelled ? undefined : signal);
  }
}
