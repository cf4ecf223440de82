/**
 * The REST API versions this client speaks and how their JSON differs. slurmrestd's API came in two
 * generations:
 *
 * - v0.0.36 to v0.0.38 (Slurm 20.11 to 23.02; Debian 12's 22.05 offers these): `job_state` is a string,
 *   `exit_code` the raw wait status (768 for exit 3, 15 for SIGTERM), times and limits plain integers,
 *   the job's `environment` an object and its `nodes` a `[min, max]` pair; errors carry `error` and
 *   `error_code` or `error_number`.
 * - v0.0.39 to v0.0.44 (Slurm 23.02 on; python-zocalo's models are v0.0.40's): `job_state` a list (the
 *   base state, then flags such as `COMPLETING`), `exit_code` a structure (`status`, `return_code`,
 *   `signal`), numbers that may be unset or infinite as `{set, infinite, number}`, the `environment` a
 *   list of `KEY=value` strings, `nodes` a string; errors carry `description`, `error`, `error_number`
 *   and `source`. v0.0.41 added `responding` to the ping answer.
 *
 * Each path is `/slurm/<version>/...` in both. What is read is checked here, so a changed shape is a
 * SlurmResponseError naming the field, not a wrong answer.
 */
import { SlurmConfigError, SlurmResponseError } from './errors';
import type { SlurmErrorEntry } from './errors';
import type {
  JsonObject,
  JsonValue,
  SlurmJob,
  SlurmJobSettings,
  SlurmPing,
  SlurmPingResult,
  SlurmSubmission,
} from './types';

/** The API versions this client speaks, oldest first. */
export const SLURM_API_VERSIONS = Object.freeze([
  'v0.0.36',
  'v0.0.37',
  'v0.0.38',
  'v0.0.39',
  'v0.0.40',
  'v0.0.41',
  'v0.0.42',
  'v0.0.43',
  'v0.0.44',
] as const);

/** An API version this client speaks. */
export type SlurmApiVersion = (typeof SLURM_API_VERSIONS)[number];

/** python-zocalo's default (`SlurmRestApi(version=...)`): Slurm 25.11's newest API. */
export const DEFAULT_SLURM_API_VERSION: SlurmApiVersion = 'v0.0.44';

/** The version, checked: a SlurmConfigError names the versions spoken when it is not one of them. */
export function slurmApiVersion(version: string): SlurmApiVersion {
  const trimmed = version.trim();
  const named = /^\d/.test(trimmed) ? `v${trimmed}` : trimmed;
  if ((SLURM_API_VERSIONS as readonly string[]).includes(named)) return named as SlurmApiVersion;
  throw new SlurmConfigError(
    `Slurm REST API version '${version}' is not one this client speaks; use one of ${SLURM_API_VERSIONS.join(', ')} ` +
      '(slurmrestd -s lists what a cluster offers; GET /openapi/v3 shows it)',
  );
}

/** Whether the version has v0.0.38's shapes (string states, plain integers, an environment object). */
export function isLegacyApi(version: SlurmApiVersion): boolean {
  return Number(version.slice('v0.0.'.length)) <= 38;
}

// --- reading ---------------------------------------------------------------------------------------------

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A number as either generation writes it: plain, or `{set, infinite, number}` (unset: undefined). */
export function slurmNumber(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (isObject(value)) {
    if (value.infinite === true) return Number.POSITIVE_INFINITY;
    if (value.set === false) return undefined;
    return typeof value.number === 'number' ? value.number : undefined;
  }
  return undefined;
}

/** A time (UNIX seconds); 0 is Slurm's "not yet". */
function time(value: JsonValue | undefined): number | undefined {
  const seconds = slurmNumber(value);
  return seconds === undefined || seconds === 0 || !Number.isFinite(seconds) ? undefined : seconds;
}

/** The `errors` list of an answer, whichever generation wrote it. */
export function slurmErrors(body: JsonValue | undefined): SlurmErrorEntry[] {
  if (!isObject(body) || !Array.isArray(body.errors)) return [];
  return body.errors.filter(isObject).map((entry) => {
    const errorNumber = slurmNumber(entry.error_number ?? entry.error_code);
    return {
      error: text(entry.error),
      errorNumber,
      description: text(entry.description) || undefined,
      source: text(entry.source) || undefined,
    };
  });
}

/** The long form of each warning of an answer. */
export function slurmWarnings(body: JsonValue | undefined): string[] {
  if (!isObject(body) || !Array.isArray(body.warnings)) return [];
  return body.warnings
    .filter(isObject)
    .map((entry) => text(entry.description) ?? text(entry.source) ?? JSON.stringify(entry));
}

function required<T>(value: T | undefined, what: string, answer: string): T {
  if (value === undefined) throw new SlurmResponseError(`Slurm REST API: ${answer} has no ${what}`);
  return value;
}

/** Base state and flags: v0.0.38's string (a flag's name stands for the state there), or the later list. */
function jobStates(value: JsonValue | undefined, answer: string): { state: string; flags: string[] } {
  const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter(isString) : [];
  if (names.length === 0) throw new SlurmResponseError(`Slurm REST API: ${answer} has no job_state`);
  const base = names.find((name) => !Object.hasOwn(FLAG_STATES, name));
  return base === undefined
    ? { state: FLAG_STATES[names[0]], flags: names }
    : { state: base, flags: names.filter((name) => name !== base) };
}

function isString(value: JsonValue): value is string {
  return typeof value === 'string';
}

/**
 * State names that are flags on top of a base state, each with the state a job showing only that flag
 * (v0.0.38 names the flag instead of the base state) is taken to be in: one that is not over yet, except
 * for a launch that failed or a federation sibling revoked. A COMPLETING job is not over: its processes
 * are still being ended and its output files may not be complete.
 */
const FLAG_STATES: Readonly<Record<string, string>> = {
  COMPLETING: 'RUNNING',
  CONFIGURING: 'PENDING',
  RESIZING: 'RUNNING',
  SIGNALING: 'RUNNING',
  STAGE_OUT: 'RUNNING',
  STOPPED: 'RUNNING',
  REQUEUED: 'PENDING',
  REQUEUE_HOLD: 'PENDING',
  REQUEUE_FED: 'PENDING',
  SPECIAL_EXIT: 'PENDING',
  RESV_DEL_HOLD: 'PENDING',
  POWER_UP_NODE: 'PENDING',
  RECONFIG_FAIL: 'PENDING',
  EXPEDITING: 'PENDING',
  UPDATE_DB: 'RUNNING',
  LAUNCH_FAILED: 'FAILED',
  REVOKED: 'CANCELLED',
};

/** Exit status and signal: v0.0.38's raw wait status, or the later `{return_code, signal}`. */
function exitStatus(value: JsonValue | undefined): { exitCode?: number; signal?: number } {
  if (typeof value === 'number') {
    const signal = value & 0x7f;
    return signal === 0 ? { exitCode: (value >> 8) & 0xff } : { exitCode: 0, signal };
  }
  if (!isObject(value)) return {};
  const statuses = Array.isArray(value.status) ? value.status.filter(isString) : [];
  if (statuses.includes('PENDING') || statuses.includes('INVALID')) return {};
  const exitCode = slurmNumber(value.return_code);
  const signal = isObject(value.signal) ? slurmNumber(value.signal.id) : undefined;
  return {
    exitCode,
    signal: signal === undefined || signal === 0 || !Number.isFinite(signal) ? undefined : signal,
  };
}

/** A job of a `jobs` list. */
export function readJob(value: JsonValue, answer = 'a job'): SlurmJob {
  if (!isObject(value)) throw new SlurmResponseError(`Slurm REST API: ${answer} is not an object`);
  const jobId = required(slurmNumber(value.job_id), 'job_id', answer);
  const { state, flags } = jobStates(value.job_state, `job ${jobId}`);
  const ended = END_STATES.has(state);
  const { exitCode, signal } = ended ? exitStatus(value.exit_code) : {};
  return {
    jobId,
    name: text(value.name),
    state,
    stateFlags: flags,
    stateReason: text(value.state_reason),
    exitCode,
    signal,
    partition: text(value.partition),
    nodes: text(value.nodes) || undefined,
    userName: text(value.user_name),
    workingDirectory: text(value.current_working_directory),
    standardOutput: text(value.standard_output) || undefined,
    standardError: text(value.standard_error) || undefined,
    submitTime: time(value.submit_time),
    startTime: time(value.start_time),
    endTime: ended ? time(value.end_time) : undefined,
    raw: value,
  };
}

/** The jobs of a `GET /jobs` or `GET /job/{id}` answer. */
export function readJobs(body: JsonValue): SlurmJob[] {
  if (!isObject(body) || !Array.isArray(body.jobs)) {
    throw new SlurmResponseError('Slurm REST API: the jobs answer has no jobs list');
  }
  return body.jobs.map((job, index) => readJob(job, `job ${index} of the answer`));
}

/** A `POST /job/submit` answer: `job_id` (v0.0.40 also has it under `result`). */
export function readSubmission(body: JsonValue): SlurmSubmission {
  const answer = 'the job submission answer';
  if (!isObject(body)) throw new SlurmResponseError(`Slurm REST API: ${answer} is not an object`);
  const result = isObject(body.result) ? body.result : {};
  const jobId = required(slurmNumber(body.job_id) ?? slurmNumber(result.job_id), 'job_id', answer);
  const message = text(body.job_submit_user_msg) ?? text(result.job_submit_user_msg);
  return {
    jobId,
    stepId: text(body.step_id) ?? text(result.step_id),
    userMessage: message || undefined,
    warnings: slurmWarnings(body),
  };
}

/** A `GET /ping` answer: v0.0.38's `ping: "UP"`, v0.0.40's `pinged`, v0.0.41's `responding`. */
export function readPing(body: JsonValue): SlurmPingResult {
  if (!isObject(body) || !Array.isArray(body.pings)) {
    throw new SlurmResponseError('Slurm REST API: the ping answer has no pings list');
  }
  const pings: SlurmPing[] = body.pings.filter(isObject).map((ping) => {
    const status = text(ping.ping) ?? text(ping.pinged);
    const responding = typeof ping.responding === 'boolean' ? ping.responding : status === 'UP';
    const mode =
      text(ping.mode) ??
      (typeof ping.primary === 'boolean' ? (ping.primary ? 'primary' : 'backup') : undefined);
    return { hostname: text(ping.hostname) ?? '', responding, mode };
  });
  const meta = isObject(body.meta) ? body.meta : {};
  // v0.0.38 writes `Slurm` with a capital S.
  const slurm = isObject(meta.slurm) ? meta.slurm : isObject(meta.Slurm) ? meta.Slurm : {};
  return { pings, release: text(slurm.release) };
}

/** States a job does not leave (a requeue makes it PENDING again, with a REQUEUED flag). */
export const END_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'CANCELLED',
  'FAILED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'OUT_OF_MEMORY',
]);

/** Whether the job is over: an end state, and no longer completing (its output files are closed). */
export function jobEnded(job: SlurmJob): boolean {
  return END_STATES.has(job.state) && !job.stateFlags.includes('COMPLETING');
}

// --- writing ---------------------------------------------------------------------------------------------

/** A number in the `{set, infinite, number}` form of v0.0.39 on. */
function noVal(value: number): JsonObject {
  return { set: true, infinite: false, number: value };
}

/** The submission body for this version (`{script, job}`). */
export function submissionBody(version: SlurmApiVersion, settings: SlurmJobSettings): JsonObject {
  const legacy = isLegacyApi(version);
  const environment = settings.environment ?? { PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin' };
  const job: JsonObject = {
    current_working_directory: settings.workingDirectory,
    environment: legacy
      ? { ...environment }
      : Object.entries(environment).map(([key, value]) => `${key}=${value}`),
  };
  const strings: ReadonlyArray<[keyof SlurmJobSettings, string]> = [
    ['name', 'name'],
    ['standardOutput', 'standard_output'],
    ['standardError', 'standard_error'],
    ['standardInput', 'standard_input'],
    ['partition', 'partition'],
    ['account', 'account'],
    ['qos', 'qos'],
    ['reservation', 'reservation'],
    ['comment', 'comment'],
  ];
  for (const [key, field] of strings) {
    const value = settings[key];
    if (typeof value === 'string') job[field] = value;
  }
  if (settings.tasks !== undefined) job.tasks = settings.tasks;
  if (settings.cpusPerTask !== undefined) job.cpus_per_task = settings.cpusPerTask;
  if (settings.nodes !== undefined)
    job.nodes = legacy ? [settings.nodes, settings.nodes] : String(settings.nodes);
  if (settings.timeLimit !== undefined)
    job.time_limit = legacy ? settings.timeLimit : noVal(settings.timeLimit);
  if (settings.memoryPerNode !== undefined) {
    job.memory_per_node = legacy ? settings.memoryPerNode : noVal(settings.memoryPerNode);
  }
  if (settings.memoryPerCpu !== undefined) {
    job.memory_per_cpu = legacy ? settings.memoryPerCpu : noVal(settings.memoryPerCpu);
  }
  Object.assign(job, settings.extra);
  // The top-level `script` is read by every version (v0.0.44 also takes job.script).
  return { script: settings.script, job };
}
