/**
 * How a transport reconnects: the options users write (seconds, as python-workflows' settings are),
 * their defaults, their check, and the back-off between attempts. One policy for every transport.
 */
import { TransportConfigError } from '../errors';

/** Reconnection with exponential back-off. Times in seconds. */
export interface ReconnectOptions {
  /** Wait before the first attempt. Default 0.1. */
  readonly initialDelay?: number;
  /** Longest wait between attempts. Default 10. */
  readonly maxDelay?: number;
  /** Attempts before giving up (the transport then reports `disconnected`). Default 30. */
  readonly attempts?: number;
}

/** {@link ReconnectOptions} checked, defaults applied, times in milliseconds. */
export interface ReconnectPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly attempts: number;
}

export const RECONNECT_DEFAULTS = Object.freeze({ initialDelay: 0.1, maxDelay: 10, attempts: 30 });

/** How much of each wait is random, so that many clients do not reconnect in step. */
export const RECONNECT_JITTER = 0.2;

function seconds(transport: string, name: string, value: unknown, allowZero: boolean): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number < 0 || (!allowZero && number === 0)) {
    throw new TransportConfigError(
      `${transport} transport: reconnect.${name} must be a number ${allowZero ? '>= 0' : '> 0'} (seconds), ` +
        `got ${String(value)}`,
    );
  }
  return number;
}

/**
 * Check the `reconnect` option of a transport: `false` turns reconnection off; anything else is
 * {@link ReconnectOptions} (missing fields take {@link RECONNECT_DEFAULTS}).
 */
export function resolveReconnect(value: unknown, transport: string): ReconnectPolicy | false {
  if (value === false) return false;
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new TransportConfigError(
      `${transport} transport: reconnect must be false or { initialDelay, maxDelay, attempts }, got ${String(value)}`,
    );
  }
  const options = (value ?? {}) as ReconnectOptions;
  const attempts = options.attempts ?? RECONNECT_DEFAULTS.attempts;
  const count = typeof attempts === 'string' ? Number(attempts) : attempts;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new TransportConfigError(
      `${transport} transport: reconnect.attempts must be a whole number > 0, got ${String(attempts)}`,
    );
  }
  const initial = seconds(
    transport,
    'initialDelay',
    options.initialDelay ?? RECONNECT_DEFAULTS.initialDelay,
    true,
  );
  const max = seconds(transport, 'maxDelay', options.maxDelay ?? RECONNECT_DEFAULTS.maxDelay, false);
  return { initialDelayMs: Math.round(initial * 1000), maxDelayMs: Math.round(max * 1000), attempts: count };
}

/**
 * Milliseconds to wait before reconnection attempt `attempt` (1-based): doubling from the initial
 * delay up to the longest, each wait varied by ±{@link RECONNECT_JITTER}.
 */
export function reconnectDelay(
  attempt: number,
  policy: ReconnectPolicy,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  const jittered = base * (1 - RECONNECT_JITTER + 2 * RECONNECT_JITTER * random());
  return Math.round(Math.min(policy.maxDelayMs, jittered));
}
