/** The errors of this package: the broker refused a request, or did not answer at all. */
import { BrokerError, ConnectionError } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const RABBITMQ_MANAGEMENT_ERROR_CODES = Object.freeze({
  RabbitManagementError: 'ZOCALO_RABBITMQ_MANAGEMENT',
  RabbitManagementUnreachableError: 'ZOCALO_RABBITMQ_MANAGEMENT_UNREACHABLE',
} as const);

/** A code of {@link RABBITMQ_MANAGEMENT_ERROR_CODES}. */
export type RabbitManagementErrorCode =
  (typeof RABBITMQ_MANAGEMENT_ERROR_CODES)[keyof typeof RABBITMQ_MANAGEMENT_ERROR_CODES];

/**
 * The management API answered a request with an HTTP error (a `BrokerError`, as before this package
 * existed). `reason` is the broker's own explanation when its answer carries one
 * (`unknown exchange type 'x-delayed-message'`, `vhost_not_found`, ...).
 */
export class RabbitManagementError extends BrokerError {
  static override readonly code: string = RABBITMQ_MANAGEMENT_ERROR_CODES.RabbitManagementError;

  constructor(
    readonly method: string,
    /** The request's path, `/api/...` (the URL without host or credentials). */
    readonly path: string,
    /** The HTTP status: 400 bad request, 401 login refused, 404 not found, ... */
    readonly status: number,
    /** The answer's text as the broker sent it. */
    readonly body: string,
  ) {
    super(`RabbitMQ management API: ${method} ${path} answered ${status} ${body}`);
  }

  /** The `reason` of the broker's JSON answer, else undefined. */
  get reason(): string | undefined {
    try {
      const parsed = JSON.parse(this.body) as { reason?: unknown };
      return typeof parsed.reason === 'string' ? parsed.reason : undefined;
    } catch {
      return undefined;
    }
  }
}

/** No answer: the management API's host or port is wrong, or the plugin is not enabled. */
export class RabbitManagementUnreachableError extends ConnectionError {
  static override readonly code: string = RABBITMQ_MANAGEMENT_ERROR_CODES.RabbitManagementUnreachableError;

  constructor(
    /** The base URL asked, without credentials. */
    readonly url: string,
    cause: unknown,
  ) {
    const why =
      cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    super(`RabbitMQ management API at ${url} did not answer (${why})`, { cause });
  }
}
