import { join } from 'node:path';
import type { Logger } from '@zocalo/workflows';

export const fixtures = join(__dirname, 'fixtures');

/** Path of a fixture file. */
export function fixture(...parts: string[]): string {
  return join(fixtures, ...parts);
}

/** A Logger that remembers what it was told. */
export function recordingLogger(): Logger & { records: { level: string; obj: object; msg?: string }[] } {
  const records: { level: string; obj: object; msg?: string }[] = [];
  const logger = {
    records,
    debug: (obj: object, msg?: string) => records.push({ level: 'debug', obj, msg }),
    info: (obj: object, msg?: string) => records.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg?: string) => records.push({ level: 'warn', obj, msg }),
    error: (obj: object, msg?: string) => records.push({ level: 'error', obj, msg }),
    child: () => logger,
  };
  return logger;
}

/** A pino destination that keeps the JSON lines written to it. */
export function memoryDestination(): {
  write(line: string): void;
  lines: string[];
  records(): Record<string, unknown>[];
} {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
