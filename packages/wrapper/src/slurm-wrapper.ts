/**
 * The built-in `slurm` wrapper: a step's command run as a Slurm cluster job, through slurmrestd
 * (@zocalo/slurm). Before `run()` it submits the job and reports `starting` with the job id, which
 * also goes into every status broadcast (`cluster_job_id`, as the extended status names a scheduler's
 * job); `run()` waits for the job's end and reports `success`, or `failure` with Slurm's end state
 * and exit code. Stopping the wrapper (SIGTERM) cancels the job.
 *
 * The step says what to run, in its `parameters`:
 *
 * ```json
 * { "command": ["dials.import", "/data/x.cbf"], "cluster": "slurm",
 *   "job": { "partition": "debug", "cpus_per_task": 4, "time_limit": 60, "working_directory": "/tmp" } }
 * ```
 *
 * `command` is a shell line or the program and its arguments (else the arguments after `--` on the
 * command line); `cluster` names the site configuration's block (`slurm`, or python-zocalo's `iris`).
 * `job` takes the job settings with Slurm's own field names.
 */
import { tmpdir } from 'node:os';
import type { SlurmJobResult, SlurmJobSettings } from '@zocalo/slurm';
import { SlurmRestApi, describeSlurmJobResult, runSlurmJob } from '@zocalo/slurm';
import type { WrapperRunResult } from './base-wrapper';
import { BaseWrapper, STARTING_TEXT } from './base-wrapper';
import { WrapperError } from './errors';

/** The status field holding the job id while the job runs. */
export const SLURM_JOB_STATUS_FIELD = 'cluster_job_id';

type JobParameters = Omit<SlurmJobSettings, 'script' | 'workingDirectory'> & { workingDirectory?: string };

/** The step's `job` settings (Slurm's snake_case names) as @zocalo/slurm's. */
function jobSettings(job: Record<string, unknown>): JobParameters {
  const text = (key: string): string | undefined => (typeof job[key] === 'string' ? job[key] : undefined);
  const count = (key: string): number | undefined => (typeof job[key] === 'number' ? job[key] : undefined);
  const environment = job.environment;
  return {
    name: text('name'),
    workingDirectory: text('working_directory') ?? text('current_working_directory'),
    partition: text('partition'),
    account: text('account'),
    qos: text('qos'),
    standardOutput: text('standard_output'),
    standardError: text('standard_error'),
    timeLimit: count('time_limit'),
    nodes: count('nodes'),
    tasks: count('tasks'),
    cpusPerTask: count('cpus_per_task'),
    memoryPerNode: count('memory_per_node'),
    memoryPerCpu: count('memory_per_cpu'),
    environment:
      typeof environment === 'object' && environment !== null
        ? Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)]))
        : undefined,
  };
}

export class SlurmWrapper extends BaseWrapper {
  private job: Promise<SlurmJobResult> | undefined;
  private jobId: number | undefined;

  private parameters(): Record<string, unknown> {
    const parameters: unknown = this.recipeWrapper?.recipeStep?.parameters;
    return typeof parameters === 'object' && parameters !== null
      ? (parameters as Record<string, unknown>)
      : {};
  }

  private command(): string | readonly string[] {
    const given = this.parameters().command;
    if (typeof given === 'string' && given.trim() !== '') return given;
    if (Array.isArray(given) && given.length > 0 && given.every((word) => typeof word === 'string'))
      return given as string[];
    if (this.args.length > 0) return this.args;
    throw new WrapperError(
      'the slurm wrapper needs a command: give the step a "command" parameter (a shell line or a list ' +
        'of words), or the program and its arguments after -- on the command line',
    );
  }

  /** Submit the job; `starting` carries its id. */
  override async starting(): Promise<unknown> {
    if (!this.configuration)
      throw new WrapperError(
        'the slurm wrapper needs the site configuration, with a slurm block (url, api_version)',
      );
    const parameters = this.parameters();
    const cluster = typeof parameters.cluster === 'string' ? parameters.cluster : 'slurm';
    const api = SlurmRestApi.fromZocaloConfiguration(this.configuration, cluster);
    const settings = jobSettings(
      typeof parameters.job === 'object' && parameters.job !== null
        ? (parameters.job as Record<string, unknown>)
        : {},
    );
    let submitted!: (jobId: number) => void;
    const accepted = new Promise<number>((resolve) => (submitted = resolve));
    this.job = runSlurmJob({
      api,
      job: {
        name: `zocalo-${this.name}`,
        ...settings,
        workingDirectory: settings.workingDirectory ?? tmpdir(),
      },
      command: this.command(),
      pollInterval:
        typeof parameters.poll_interval === 'number' ? parameters.poll_interval * 1000 : undefined,
      signal: this.signal,
      onSubmitted: (jobId) => submitted(jobId),
    });
    // A refused submission rejects the job before any id: that is the step's failure.
    this.jobId = await Promise.race([accepted, this.job.then(() => accepted)]);
    this.status.setStaticField(SLURM_JOB_STATUS_FIELD, this.jobId);
    this.logger.info({ slurmJobId: this.jobId }, `submitted Slurm job ${this.jobId}`);
    return { message: STARTING_TEXT, slurm_job_id: this.jobId };
  }

  async run(): Promise<WrapperRunResult> {
    if (!this.job) throw new WrapperError('the slurm wrapper ran before its job was submitted');
    const result = await this.job;
    const details = {
      slurm_job_id: result.jobId,
      state: result.state,
      exit_code: result.exitCode ?? null,
    };
    if (result.success) return { success: true, payload: details };
    return { success: false, payload: { ...details, message: describeSlurmJobResult(result) } };
  }
}
