import { join } from 'node:path';

export const fixtures = join(__dirname, 'fixtures');

/** Path of a fixture file. */
export function fixture(...parts: string[]): string {
  return join(fixtures, ...parts);
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
