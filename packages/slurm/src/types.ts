/** The shapes the client takes and gives, the same whichever REST API version it speaks. */

/** A JSON value, as slurmrestd sends and takes them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * A job to submit (`POST /slurm/<version>/job/submit`). The names are Slurm's (`current_working_directory`
 * is `workingDirectory`, ...); the client writes each in the form the API version wants (an environment
 * object for v0.0.38, a `KEY=value` list later; a number or a `{set, number}` structure).
 */
export interface SlurmJobSettings {
  /** The batch script, starting with its `#!` line (`#SBATCH` lines in it apply as with sbatch). */
  readonly script: string;
  /** The directory the job runs in, on the cluster's nodes (`current_working_directory`). */
  readonly workingDirectory: string;
  /** Job name (`name`). */
  readonly name?: string;
  /**
   * The job's environment (`environment`; Slurm requires one). Default: `PATH` only, the submitting
   * process's; a job does not inherit the rest of the submitter's environment, which may hold secrets.
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Files for the job's output, error and input (`standard_output`, ...); `%j` is the job id. */
  readonly standardOutput?: string;
  readonly standardError?: string;
  readonly standardInput?: string;
  readonly partition?: string;
  readonly account?: string;
  readonly qos?: string;
  readonly reservation?: string;
  /** Wall-clock limit in minutes (`time_limit`); Slurm ends the job in state TIMEOUT past it. */
  readonly timeLimit?: number;
  /** Node count (`nodes`). */
  readonly nodes?: number;
  /** Task count (`tasks`). */
  readonly tasks?: number;
  readonly cpusPerTask?: number;
  /** Memory per node and per CPU, in megabytes (`memory_per_node`, `memory_per_cpu`). */
  readonly memoryPerNode?: number;
  readonly memoryPerCpu?: number;
  readonly comment?: string;
  /**
   * Further fields of the job description, written as given over the ones above, in the shape the API
   * version wants (see its OpenAPI description, `GET /openapi/v3`): `{ requeue: false }`.
   */
  readonly extra?: Readonly<JsonObject>;
}

/** Slurm's job states (`job_state`); those after `RUNNING` and `SUSPENDED` are end states. */
export type SlurmJobState =
  | 'PENDING'
  | 'RUNNING'
  | 'SUSPENDED'
  | 'COMPLETED'
  | 'CANCELLED'
  | 'FAILED'
  | 'TIMEOUT'
  | 'NODE_FAIL'
  | 'PREEMPTED'
  | 'BOOT_FAIL'
  | 'DEADLINE'
  | 'OUT_OF_MEMORY'
  | (string & {});

/** A job as `getJob` and `listJobs` give it. */
export interface SlurmJob {
  readonly jobId: number;
  readonly name?: string;
  /** The base state (`COMPLETED`). */
  readonly state: SlurmJobState;
  /**
   * Flags Slurm reports beside the base state: `COMPLETING` (the job's processes are still being ended),
   * `CONFIGURING`, `REQUEUED`, ... A job is over when its state is an end state and it is not `COMPLETING`.
   */
  readonly stateFlags: readonly string[];
  /** Why the job is in its state (`state_reason`: `None`, `NonZeroExitCode`, `Resources`, ...). */
  readonly stateReason?: string;
  /** The batch script's exit status, once it ended (0 for a job ended by a signal). */
  readonly exitCode?: number;
  /** The signal that ended the job, if one did (15 for a cancelled job). */
  readonly signal?: number;
  readonly partition?: string;
  /** The nodes the job runs or ran on. */
  readonly nodes?: string;
  readonly userName?: string;
  readonly workingDirectory?: string;
  readonly standardOutput?: string;
  readonly standardError?: string;
  /** UNIX times in seconds, when known. */
  readonly submitTime?: number;
  readonly startTime?: number;
  readonly endTime?: number;
  /** The job as slurmrestd sent it. */
  readonly raw: Readonly<JsonObject>;
}

/** What a submission answered. */
export interface SlurmSubmission {
  readonly jobId: number;
  readonly stepId?: string;
  /** A message the site's job_submit plugin had for the user, when it had one. */
  readonly userMessage?: string;
  /** Slurm's warnings about the submission (long form), when it had any. */
  readonly warnings: readonly string[];
}

/** One slurmctld's answer to `ping`. */
export interface SlurmPing {
  readonly hostname: string;
  /** Whether it answered (`UP`). */
  readonly responding: boolean;
  /** `primary` or `backup`, when the API version says. */
  readonly mode?: string;
}

/** What `ping()` gives: each controller's answer and the Slurm release slurmrestd reports. */
export interface SlurmPingResult {
  readonly pings: readonly SlurmPing[];
  /** `22.05.8`, from the answer's `meta`. */
  readonly release?: string;
}
