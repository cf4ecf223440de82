/** Typed errors of @zocalo/dashboard. */
import { ZocaloError } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const DASHBOARD_ERROR_CODES = Object.freeze({
  DashboardConfigurationError: 'ZOCALO_DASHBOARD_CONFIGURATION',
} as const);

/** A code of {@link DASHBOARD_ERROR_CODES}. */
export type DashboardErrorCode = (typeof DASHBOARD_ERROR_CODES)[keyof typeof DASHBOARD_ERROR_CODES];

/**
 * The dashboard cannot start as asked: an address beyond loopback without a token or login, a bad
 * port, or an empty token.
 */
export class DashboardConfigurationError extends ZocaloError {
  static override readonly code: string = DASHBOARD_ERROR_CODES.DashboardConfigurationError;
}
