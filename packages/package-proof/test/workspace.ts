/** The workspace as the tests see it: its public packages, and running pnpm, npm and node in it. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..');
export const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** Every package under packages/ that is published (not `private`). */
export function publicPackages(): WorkspacePackage[] {
  return readdirSync(join(ROOT, 'packages'))
    .map((dir) => ({ dir: join(ROOT, 'packages', dir), ...readManifest(join(ROOT, 'packages', dir)) }))
    .filter((p) => !p.private)
    .map(({ name, version, dir }) => ({ name, version, dir }));
}

function readManifest(dir: string): { name: string; version: string; private?: boolean } {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

/** Run a command; its stdout, or an error carrying its stderr and stdout. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeout?: number },
): string {
  try {
    return execFileSync(command, args, {
      cwd: options.cwd,
      encoding: 'utf8',
      timeout: options.timeout ?? 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${options.cwd}:\n${stderr ?? ''}${stdout ?? ''}`);
  }
}

/** pnpm at the version the workspace pins (`packageManager`), as `npx -y pnpm@<version>` runs it. */
export function pnpm(args: readonly string[]): string {
  const pinned = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager as string;
  return run('npx', ['-y', pinned, ...args], { cwd: ROOT });
}
