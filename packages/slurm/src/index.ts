/**
 * @zocalo/slurm: run Zocalo work on a Slurm cluster through its REST API (slurmrestd).
 *
 * - `SlurmRestApi`: python-zocalo's `zocalo.util.slurm.SlurmRestApi` (ping, submit, get, list and
 *   cancel jobs; any other request), JWT from `user_token` (a token or a token file, as Python reads it),
 *   a token file or `SLURM_JWT`; the REST API version a setting (v0.0.36 to v0.0.44, their differences
 *   mapped: `api-version.ts`). `SlurmRestApi.fromZocaloConfiguration(configuration)` reads the site
 *   file's `slurm` (or `iris`) block.
 * - `runSlurmJob()`: submit a job, report its id, poll until it ends, resolve with its end state: the
 *   part of a wrapper that runs its step on the cluster.
 * - Errors are `SlurmError`s carrying Slurm's own messages (`SLURM_ERROR_CODES`).
 */
export type { SlurmApiErrorDetails, SlurmErrorCode, SlurmErrorEntry } from './errors';
export {
  SLURM_ERROR_CODES,
  SLURM_INVALID_JOB_ID,
  SlurmApiError,
  SlurmAuthError,
  SlurmConfigError,
  SlurmConnectionError,
  SlurmError,
  SlurmJobNotFoundError,
  SlurmJobRejectedError,
  SlurmResponseError,
  formatSlurmError,
} from './errors';
export type {
  JsonObject,
  JsonValue,
  SlurmJob,
  SlurmJobSettings,
  SlurmJobState,
  SlurmPing,
  SlurmPingResult,
  SlurmSubmission,
} from './types';
export type { SlurmApiVersion } from './api-version';
export {
  DEFAULT_SLURM_API_VERSION,
  END_STATES,
  SLURM_API_VERSIONS,
  isLegacyApi,
  jobEnded,
  readJob,
  readJobs,
  readPing,
  readSubmission,
  slurmApiVersion,
  slurmErrors,
  slurmNumber,
  submissionBody,
} from './api-version';
export type { SlurmTokenOptions } from './token';
export type { ConfigurationWithPlugins, SlurmQuery, SlurmRestApiOptions, SlurmSettings } from './client';
export { SlurmRestApi } from './client';
export type { RunSlurmJobOptions, SlurmJobOutcome, SlurmJobResult } from './run-job';
export { commandScript, describeSlurmJobResult, jobOutcome, runSlurmJob, shellQuote } from './run-job';
