/**
 * `SlurmRestApi`: python-zocalo's client of the Slurm REST API (slurmrestd), over Node's fetch. Every
 * request carries `X-SLURM-USER-NAME` (when a user is set) and `X-SLURM-USER-TOKEN` (the JWT); an answer
 * whose `errors` list is not empty, or whose HTTP status is not a success, is a SlurmApiError (or a
 * subclass) carrying Slurm's own messages.
 */
import {
  SLURM_INVALID_JOB_ID,
  SlurmApiError,
  SlurmAuthError,
  SlurmConfigError,
  SlurmConnectionError,
  SlurmJobNotFoundError,
  SlurmJobRejectedError,
  SlurmResponseError,
} from './errors';
import type { SlurmApiErrorDetails } from './errors';
import type { SlurmApiVersion } from './api-version';
import {
  DEFAULT_SLURM_API_VERSION,
  readJobs,
  readPing,
  readSubmission,
  slurmApiVersion,
  slurmErrors,
  submissionBody,
} from './api-version';
import type { TokenSource, SlurmTokenOptions } from './token';
import { currentToken, tokenSource } from './token';
import type { JsonValue, SlurmJob, SlurmJobSettings, SlurmPingResult, SlurmSubmission } from './types';

/** python-zocalo's `slurm` configuration block (and `SlurmRestApi.from_zocalo_configuration`), by its keys. */
export interface SlurmSettings {
  /** slurmrestd's base URL, e.g. `http://slurm.example.com:6820`. */
  readonly url: string;
  /** The REST API version, e.g. `v0.0.38` (required in the site file, as in Python). */
  readonly api_version?: string;
  /** The Slurm user the requests are made as (`X-SLURM-USER-NAME`). */
  readonly user?: string;
  /** The JWT, or the path of a file holding it. */
  readonly user_token?: string;
}

/** Options of `new SlurmRestApi()`. */
export interface SlurmRestApiOptions extends SlurmTokenOptions {
  /** slurmrestd's base URL (`http://host:6820`); paths `/slurm/<version>/...` are added to it. */
  readonly url: string;
  /** Default {@link DEFAULT_SLURM_API_VERSION} (python-zocalo's). See `SLURM_API_VERSIONS`. */
  readonly apiVersion?: string;
  /** Sent as `X-SLURM-USER-NAME` (python-zocalo's `user_name`); left out when not given. */
  readonly user?: string;
  /** Milliseconds a request may take before it fails with a SlurmConnectionError. Default 30 000. */
  readonly timeout?: number;
}

/** A configuration whose activated plugins include a `slurm` (or `iris`, ...) block: @zocalo/configuration's. */
export interface ConfigurationWithPlugins {
  readonly plugins: Readonly<Record<string, unknown>>;
}

/** What a request is for: it decides which error a refusal is. */
type Purpose =
  { readonly kind: 'submit' } | { readonly kind: 'job'; readonly jobId: number } | { readonly kind: 'other' };

/** Query parameters of a request. */
export type SlurmQuery = Readonly<Record<string, string | number | boolean | undefined>>;

/** Slurm error numbers that say nothing: Slurm 22.05's slurmrestd answers an invalid or expired JWT so. */
const NO_REASON_ERRORS = new Set([-1, 5005]);

function settingsText(value: unknown, key: string, cluster: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new SlurmConfigError(
    `Slurm: the ${cluster} block's ${key} must be a string, not ${JSON.stringify(value)}`,
  );
}

export class SlurmRestApi {
  readonly url: string;
  readonly apiVersion: SlurmApiVersion;
  readonly user?: string;
  readonly timeout: number;
  /** Where the token comes from (`user_token`, `tokenFile`, `SLURM_JWT`), without the token. */
  readonly tokenFrom: string;
  readonly #token: TokenSource;

  constructor(options: SlurmRestApiOptions) {
    if (typeof options.url !== 'string' || !/^https?:\/\/[^/]/.test(options.url)) {
      throw new SlurmConfigError(
        `Slurm: url ${JSON.stringify(options.url)} is not an http(s) URL; give slurmrestd's, e.g. http://slurm.example.com:6820`,
      );
    }
    this.url = options.url.replace(/\/+$/, '');
    this.apiVersion = slurmApiVersion(options.apiVersion ?? DEFAULT_SLURM_API_VERSION);
    this.user = options.user || undefined;
    this.timeout = options.timeout ?? 30_000;
    this.#token = tokenSource(options);
    this.tokenFrom = this.#token.kind === 'none' ? 'none' : this.#token.from;
  }

  /** A client from a `slurm` block's settings (python-zocalo's keys: url, api_version, user, user_token). */
  static fromSettings(settings: SlurmSettings, options: Omit<SlurmRestApiOptions, 'url'> = {}): SlurmRestApi {
    return new SlurmRestApi({
      ...options,
      url: settings.url,
      apiVersion: settings.api_version ?? options.apiVersion,
      user: settings.user ?? options.user,
      userToken: settings.user_token ?? options.userToken,
    });
  }

  /**
   * python-zocalo's `SlurmRestApi.from_zocalo_configuration(zc, cluster="slurm")`: the client of the
   * activated `slurm` block (or of another plugin name with the same keys, such as `iris`).
   */
  static fromZocaloConfiguration(
    configuration: ConfigurationWithPlugins,
    cluster = 'slurm',
    options: Omit<SlurmRestApiOptions, 'url'> = {},
  ): SlurmRestApi {
    const block = configuration.plugins[cluster];
    if (typeof block !== 'object' || block === null) {
      throw new SlurmConfigError(
        `Slurm: the site configuration has no activated ${cluster} block; add one (plugin: ${cluster}, url, api_version) to an environment you activate`,
      );
    }
    const values = block as Record<string, unknown>;
    const url = settingsText(values.url, 'url', cluster);
    if (url === undefined) throw new SlurmConfigError(`Slurm: the ${cluster} block has no url`);
    return SlurmRestApi.fromSettings(
      {
        url,
        api_version: settingsText(values.api_version, 'api_version', cluster),
        user: settingsText(values.user, 'user', cluster),
        user_token: settingsText(values.user_token, 'user_token', cluster),
      },
      options,
    );
  }

  /** `/slurm/<version>/<endpoint>`. */
  path(endpoint: string): string {
    return `/slurm/${this.apiVersion}/${endpoint.replace(/^\/+/, '')}`;
  }

  /** `GET /ping`: whether slurmctld answers slurmrestd, and the Slurm release. */
  async ping(): Promise<SlurmPingResult> {
    return readPing(await this.request('GET', this.path('ping')));
  }

  /** `POST /job/submit`: submit a batch job. A refusal is a SlurmJobRejectedError with Slurm's reason. */
  async submitJob(job: SlurmJobSettings): Promise<SlurmSubmission> {
    const body = submissionBody(this.apiVersion, job);
    return readSubmission(await this.call('POST', this.path('job/submit'), { body }, { kind: 'submit' }));
  }

  /** `GET /job/{id}` (python-zocalo's `get_job_info`). An unknown id is a SlurmJobNotFoundError. */
  async getJob(jobId: number): Promise<SlurmJob> {
    const answer = await this.call('GET', this.path(`job/${jobId}`), {}, { kind: 'job', jobId });
    const job = readJobs(answer).find((candidate) => candidate.jobId === jobId);
    if (!job) throw new SlurmResponseError(`Slurm REST API: the answer for job ${jobId} does not list it`);
    return job;
  }

  /** `GET /jobs` (python-zocalo's `get_jobs`): the jobs slurmctld knows (running, pending, recently ended). */
  async listJobs(): Promise<SlurmJob[]> {
    return readJobs(await this.request('GET', this.path('jobs')));
  }

  /**
   * `DELETE /job/{id}`: cancel a job (scancel), with `signal` (a name or number; Slurm's default is
   * SIGKILL after SIGTERM, KillWait seconds apart). An unknown id is a SlurmJobNotFoundError.
   */
  async cancelJob(jobId: number, options: { signal?: string | number } = {}): Promise<void> {
    const query = options.signal === undefined ? {} : { signal: options.signal };
    await this.call('DELETE', this.path(`job/${jobId}`), { query }, { kind: 'job', jobId });
  }

  /**
   * Any request (python-zocalo's `get`, `post`, `put`, `delete`): `path` is the whole path
   * (`this.path('nodes')`). Resolves with the answer's JSON; refusals are errors as for the methods above.
   */
  request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { readonly query?: SlurmQuery; readonly body?: JsonValue } = {},
  ): Promise<JsonValue> {
    return this.call(method, path.startsWith('/') ? path : `/${path}`, options, { kind: 'other' });
  }

  private async call(
    method: string,
    path: string,
    options: { readonly query?: SlurmQuery; readonly body?: JsonValue },
    purpose: Purpose,
  ): Promise<JsonValue> {
    const target = new URL(`${this.url}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) target.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.user) headers['X-SLURM-USER-NAME'] = this.user;
    const token = await currentToken(this.#token);
    if (token) headers['X-SLURM-USER-TOKEN'] = token;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(target, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeout),
      });
      text = await response.text();
    } catch (error) {
      const reason =
        errorField(error, 'name') === 'TimeoutError'
          ? `no answer within ${this.timeout} ms`
          : describeFetchError(error);
      throw new SlurmConnectionError(this.url, `${method} ${path}: ${reason}`, { cause: error });
    }
    let body: JsonValue | undefined;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as JsonValue);
    } catch {
      body = undefined;
    }
    const errors = slurmErrors(body);
    if (response.ok && errors.length === 0) {
      if (body === undefined) {
        throw new SlurmResponseError(
          `Slurm REST API: ${method} ${path} answered HTTP ${response.status} without JSON: ${text.slice(0, 200)}`,
        );
      }
      return body;
    }
    const details: SlurmApiErrorDetails = {
      method,
      path,
      status: response.status,
      slurmErrors: errors,
      body: body === undefined ? text.slice(0, 500) : undefined,
    };
    throw this.refusal(details, body === undefined, purpose);
  }

  /** Which error a refusal is. */
  private refusal(details: SlurmApiErrorDetails, plainText: boolean, purpose: Purpose): SlurmApiError {
    if (details.status === 401 || details.status === 403) return new SlurmAuthError(details);
    const numbers = details.slurmErrors.map((entry) => entry.errorNumber);
    if (
      numbers.length > 0 &&
      numbers.every((number) => number !== undefined && NO_REASON_ERRORS.has(number))
    ) {
      return new SlurmAuthError(
        details,
        'Slurm gave no reason, as slurmrestd 22.05 answers a request slurmctld refused for an invalid or expired JWT',
      );
    }
    if (details.status === 404 && plainText) {
      return new SlurmApiError(
        details,
        `slurmrestd serves no such path: does it load API ${this.apiVersion} (slurmrestd -s openapi/${this.apiVersion})?`,
      );
    }
    // v0.0.36 says `_handle_job_get: unknown job 99999` with error_code 0.
    const unknownJob = details.slurmErrors.some((entry) => /\bunknown job\b/i.test(entry.error ?? ''));
    if (purpose.kind === 'job' && (numbers.includes(SLURM_INVALID_JOB_ID) || unknownJob)) {
      return new SlurmJobNotFoundError(purpose.jobId, details);
    }
    if (purpose.kind === 'submit') return new SlurmJobRejectedError(details);
    return new SlurmApiError(details);
  }
}

/** A string field of an error-like value (fetch's errors may come from another realm, so no instanceof). */
function errorField(value: unknown, key: 'name' | 'message' | 'code'): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field: unknown = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}

/** fetch's `TypeError: fetch failed` hides the reason in `cause` (ECONNREFUSED, ENOTFOUND). */
function describeFetchError(error: unknown): string {
  const cause: unknown =
    typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined;
  const code = errorField(cause, 'code');
  const message = errorField(cause, 'message') ?? errorField(error, 'message') ?? String(error);
  return code && !message.includes(code) ? `${code} (${message})` : message;
}
