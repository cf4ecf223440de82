import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@zocalo/workflows';

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg?: string;
}

/** A logger that keeps every record (with the bindings of its children merged in). */
export function recordingLogger(
  records: LogRecord[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { records: LogRecord[] } {
  const log =
    (level: LogRecord['level']) =>
    (obj: object, msg?: string): void =>
      void records.push({ level, obj: { ...bindings, ...obj }, msg });
  return {
    records,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more: Record<string, unknown>) => recordingLogger(records, { ...bindings, ...more }),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolve once `predicate` holds, polling; reject after `timeout` ms. */
export async function until(predicate: () => boolean, timeout = 3000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** A new temporary directory holding the given files (name → JSON value or text). */
export function tempDirectory(files: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'zocalo-dispatcher-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}
