/** Typed errors of @zocalo/mailer. */
import { ZocaloError } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const MAILER_ERROR_CODES = Object.freeze({
  MailerConfigurationError: 'ZOCALO_MAILER_CONFIGURATION',
} as const);

/** A code of {@link MAILER_ERROR_CODES}. */
export type MailerErrorCode = (typeof MAILER_ERROR_CODES)[keyof typeof MAILER_ERROR_CODES];

/**
 * The Mailer cannot start: the site configuration has no active `smtp` block (python-zocalo raises its
 * `ConfigurationError` with the same words), or the block's `host` or `port` cannot be used.
 */
export class MailerConfigurationError extends ZocaloError {
  static override readonly code: string = MAILER_ERROR_CODES.MailerConfigurationError;
}
