/**
 * Who may see the page: anyone on loopback; beyond loopback only a request carrying the token (the
 * `token` query parameter, an `Authorization: Bearer` header or a `zocalo_dashboard` cookie the page
 * sets from the query) or the basic-auth login. Compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { DashboardConfigurationError } from './errors';

/** A basic-auth login. */
export interface BasicLogin {
  readonly username: string;
  readonly password: string;
}

/** The cookie that carries the token after a first request with `?token=`. */
export const TOKEN_COOKIE = 'zocalo_dashboard';

/** Whether an address to bind is loopback only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** Equal strings, in time that does not depend on where they differ (hashes make lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** What a request presents. */
export interface Presented {
  readonly query?: string;
  readonly authorization?: string;
  readonly cookie?: string;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** The check every request and the live channel pass; undefined when none is needed. */
export interface Guard {
  readonly required: boolean;
  allows(presented: Presented): boolean;
}

export function createGuard(host: string, token?: string, basic?: BasicLogin): Guard {
  if (token !== undefined && token.trim() === '') {
    throw new DashboardConfigurationError('the dashboard token is empty');
  }
  const required = token !== undefined || basic !== undefined;
  if (!required && !isLoopback(host)) {
    throw new DashboardConfigurationError(
      `the dashboard binds ${host}, beyond loopback: give it a token (--token or ZOCALO_DASHBOARD_TOKEN) ` +
        'or a basic-auth login, or bind 127.0.0.1',
    );
  }
  return {
    required,
    allows(presented) {
      if (!required) return true;
      const auth = presented.authorization ?? '';
      if (token !== undefined) {
        const offered = [
          presented.query,
          /^Bearer /i.test(auth) ? auth.slice(7).trim() : undefined,
          cookieValue(presented.cookie, TOKEN_COOKIE),
        ];
        // Every candidate is compared, so that time does not tell which one was given.
        let ok = false;
        for (const candidate of offered)
          if (candidate !== undefined && safeEqual(candidate, token)) ok = true;
        if (ok) return true;
      }
      if (basic !== undefined && /^Basic /i.test(auth)) {
        const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon >= 0) {
          const user = safeEqual(decoded.slice(0, colon), basic.username);
          const pass = safeEqual(decoded.slice(colon + 1), basic.password);
          if (user && pass) return true;
        }
      }
      return false;
    },
  };
}
