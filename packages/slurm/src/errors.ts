/**
 * The errors of the Slurm client. Each carries what Slurm said (`slurmErrors`: its own error strings and
 * numbers, as slurmrestd sent them) and says what to do.
 */
import { ZocaloError } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const SLURM_ERROR_CODES = Object.freeze({
  SlurmError: 'ZOCALO_SLURM',
  SlurmConfigError: 'ZOCALO_SLURM_CONFIG',
  SlurmConnectionError: 'ZOCALO_SLURM_CONNECTION',
  SlurmResponseError: 'ZOCALO_SLURM_RESPONSE',
  SlurmApiError: 'ZOCALO_SLURM_API',
  SlurmAuthError: 'ZOCALO_SLURM_AUTH',
  SlurmJobRejectedError: 'ZOCALO_SLURM_JOB_REJECTED',
  SlurmJobNotFoundError: 'ZOCALO_SLURM_JOB_NOT_FOUND',
} as const);

/** A code of {@link SLURM_ERROR_CODES}. */
export type SlurmErrorCode = (typeof SLURM_ERROR_CODES)[keyof typeof SLURM_ERROR_CODES];

/** One entry of the `errors` list of a slurmrestd answer, whichever API version sent it. */
export interface SlurmErrorEntry {
  /** Short form (`Invalid job id specified`). */
  readonly error?: string;
  /** Slurm's error number (`error_number`; `error_code` in some v0.0.38 answers). */
  readonly errorNumber?: number;
  /** Long form (`Unable to find JobId=999`). */
  readonly description?: string;
  /** Where Slurm met it (`slurm_load_job`). */
  readonly source?: string;
}

/** Slurm's error number for a job id it does not know (ESLURM_INVALID_JOB_ID). */
export const SLURM_INVALID_JOB_ID = 2017;

/** `Unable to find JobId=999 (Invalid job id specified, error 2017, in slurm_load_job)`. */
export function formatSlurmError(entry: SlurmErrorEntry): string {
  const details = [
    entry.description ? entry.error : undefined,
    entry.errorNumber !== undefined ? `error ${entry.errorNumber}` : undefined,
    entry.source ? `in ${entry.source}` : undefined,
  ].filter((part): part is string => part !== undefined && part !== '');
  const head = entry.description || entry.error || 'unspecified error';
  return details.length > 0 ? `${head} (${details.join(', ')})` : head;
}

/** Base class of this package's errors. */
export class SlurmError extends ZocaloError {
  static override readonly code: string = SLURM_ERROR_CODES.SlurmError;
}

/** The client's settings cannot be used: no URL, an API version this package does not speak, no token. */
export class SlurmConfigError extends SlurmError {
  static override readonly code: string = SLURM_ERROR_CODES.SlurmConfigError;
}

/** slurmrestd could not be reached, or did not answer in time. */
export class SlurmConnectionError extends SlurmError {
  static override readonly code: string = SLURM_ERROR_CODES.SlurmConnectionError;

  constructor(
    readonly url: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Slurm REST API at ${url} did not answer: ${reason}; check that slurmrestd runs there and that the ` +
        'url setting names it',
      options,
    );
  }
}

/** slurmrestd answered something this client cannot read (not JSON, or without the field it needs). */
export class SlurmResponseError extends SlurmError {
  static override readonly code: string = SLURM_ERROR_CODES.SlurmResponseError;
}

/** What a request was and how slurmrestd answered it. */
export interface SlurmApiErrorDetails {
  readonly method: string;
  /** The path requested, e.g. `/slurm/v0.0.38/job/submit`. */
  readonly path: string;
  /** The HTTP status of the answer. */
  readonly status: number;
  /** Slurm's errors from the answer's `errors` list (empty when the answer had none). */
  readonly slurmErrors: readonly SlurmErrorEntry[];
  /** The answer's text when it was not JSON (slurmrestd answers some refusals in plain text). */
  readonly body?: string;
}

/** Slurm refused a request: its `errors` list was not empty, or the HTTP status was not a success. */
export class SlurmApiError extends SlurmError {
  static override readonly code: string = SLURM_ERROR_CODES.SlurmApiError;

  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly slurmErrors: readonly SlurmErrorEntry[];
  readonly body?: string;

  /** `hint` says what to do; each subclass has its own. */
  constructor(details: SlurmApiErrorDetails, hint?: string) {
    const said =
      details.slurmErrors.length > 0
        ? details.slurmErrors.map(formatSlurmError).join('; ')
        : details.body?.trim() || 'no error text';
    super(
      `Slurm REST API: ${details.method} ${details.path} failed (HTTP ${details.status}): ${said}` +
        (hint ? `; ${hint}` : ''),
    );
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.slurmErrors = details.slurmErrors;
    this.body = details.body;
  }

  /** Slurm's own messages, one per entry: what a failure report should show. */
  get slurmMessages(): string[] {
    return this.slurmErrors.map(formatSlurmError);
  }
}

/** slurmrestd refused the credentials: no token, an expired or wrong one, or a user name it does not match. */
export class SlurmAuthError extends SlurmApiError {
  static override readonly code: string = SLURM_ERROR_CODES.SlurmAuthError;

  /** `note` comes before the hint: why the refusal is taken to be about the credentials. */
  constructor(details: SlurmApiErrorDetails, note?: string) {
    super(
      details,
      (note ? `${note}; ` : '') +
        'check the JWT (the user_token setting, a token file, or SLURM_JWT) and user name: `scontrol token` makes a new token',
    );
  }
}

/** Slurm refused a job submission (an unknown partition, resources it cannot give, a bad setting). */
export class SlurmJobRejectedError extends SlurmApiError {
  static override readonly code: string = SLURM_ERROR_CODES.SlurmJobRejectedError;

  constructor(details: SlurmApiErrorDetails) {
    super(
      details,
      "the job was not submitted: fix its settings (partition, resources, paths) as Slurm's message says",
    );
  }
}

/** Slurm does not know the job id (a wrong id, or a job that ended longer ago than slurmctld's MinJobAge). */
export class SlurmJobNotFoundError extends SlurmApiError {
  static override readonly code: string = SLURM_ERROR_CODES.SlurmJobNotFoundError;

  constructor(
    readonly jobId: number,
    details: SlurmApiErrorDetails,
  ) {
    super(details, `no job ${jobId}: a wrong id, or a job ended longer ago than slurmctld's MinJobAge`);
  }
}
