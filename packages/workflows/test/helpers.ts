import type { Logger } from '../src';

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg?: string;
}

/** A logger that keeps what it is given, for asserting on warnings and errors. */
export function recordingLogger(records: LogRecord[] = []): Logger & { records: LogRecord[] } {
  const make = (): Logger & { records: LogRecord[] } => ({
    records,
    debug: (obj, msg) => records.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => records.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => records.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => records.push({ level: 'error', obj, msg }),
    child: () => make(),
  });
  return make();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolve once `predicate` holds, polling; reject after `timeout` ms. */
export async function until(predicate: () => boolean, timeout = 2000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
