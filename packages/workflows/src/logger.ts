import { pino } from 'pino';

/**
 * The logging interface Zocalo code writes to: a subset of pino's, so a pino logger (or a child of one)
 * can be passed directly.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

let defaultLogger: Logger | undefined;

/** The process-wide default logger: pino, JSON lines on stderr, level from `ZOCALO_LOG_LEVEL` (info). */
export function getDefaultLogger(): Logger {
  defaultLogger ??= pino(
    { name: 'zocalo', level: process.env.ZOCALO_LOG_LEVEL ?? 'info' },
    pino.destination({ fd: 2, sync: false }),
  );
  return defaultLogger;
}

/** Replace the process-wide default logger (for example with a configured pino instance). */
export function setDefaultLogger(logger: Logger): void {
  defaultLogger = logger;
}
