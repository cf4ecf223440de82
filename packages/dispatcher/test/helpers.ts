import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
