import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BROKER_FLAGS, sleep, until as sharedUntil } from '@zocalo/test-brokers';
import type { CliIo } from '../src';

/** A CliIo for `runCli` in-process that keeps what was written; logs silent unless `env` says. */
export function captureIo(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    isTTY: false,
    env: { ZOCALO_LOG_LEVEL: 'silent', ...env },
    cwd: CLI_DIR,
  };
}

/** The package folder; the bin is dist/bin.js in it. */
export const CLI_DIR = join(__dirname, '..');
export const BIN = join(CLI_DIR, 'dist', 'bin.js');
export const FIXTURES = join(__dirname, 'fixtures');

/** The environment for a child: no site configuration of the machine, quiet logs unless asked. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ZOCALO_CONFIG: undefined,
    ZOCALO_TRANSPORT: undefined,
    ZOCALO_LOG_LEVEL: undefined,
    ...extra,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** Standard error less the line saying where the command sends (see {@link announced}). */
  readonly stderr: string;
  /** The lines a `zocalo` broker command began with, saying where it sends and what chose it. */
  readonly announced: readonly string[];
}

/** The line each `zocalo` broker command says first on stderr (tested in transport-announcement.test.ts). */
const ANNOUNCEMENT =
  /^zocalo [a-z ]+: [a-z0-9_-]+(?: \([^)\n]*\))?(?:: [^\n]*)? — (?:chosen by|from |the built-in default)[^\n]*\n/gm;

function finished(
  code: number | null,
  signal: NodeJS.Signals | null,
  stdout: string,
  stderr: string,
): Finished {
  return {
    code,
    signal,
    stdout,
    stderr: stderr.replace(ANNOUNCEMENT, ''),
    announced: [...stderr.matchAll(ANNOUNCEMENT)].map((match) => match[0].trimEnd()),
  };
}

interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeout?: number;
  input?: string;
}

/** Run `zocalo <args>` to the end (with `input` on its standard input, else none). */
export function zocalo(args: readonly string[], options: RunOptions = {}): Promise<Finished> {
  return runBin(BIN, args, options);
}

/** The executable of a python-zocalo command name (`zocalo.go`): dist/bin/zocalo.go.js. */
export function pythonBin(name: string): string {
  return join(CLI_DIR, 'dist', 'bin', `${name}.js`);
}

/** Run a python-zocalo command name (`zocalo.shutdown`) with `args` to the end. */
export function pythonZocalo(
  name: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Finished> {
  return runBin(pythonBin(name), args, options);
}

function runBin(bin: string, args: readonly string[], options: RunOptions): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const spawnOptions = { cwd: options.cwd ?? CLI_DIR, env: childEnv(options.env) };
    const child =
      options.input === undefined
        ? spawn(process.execPath, [bin, ...args], { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(process.execPath, [bin, ...args], { ...spawnOptions, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 30000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(finished(code, signal, stdout, stderr));
    });
  });
}

/** A long-running `zocalo` child (a service), with its output kept. */
export interface RunningZocalo {
  readonly child: ChildProcess;
  /** Its unique host id, as its status broadcasts and shutdown commands name it. */
  readonly hostId: string;
  output(): string;
  /** Resolves when stderr (or stdout) matches. */
  waitFor(pattern: RegExp, timeout?: number): Promise<void>;
  readonly exited: Promise<Finished>;
}

export function startZocalo(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; nodeArgs?: readonly string[] } = {},
): RunningZocalo {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
    cwd: options.cwd ?? CLI_DIR,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = (): void => listeners.forEach((listener) => listener());
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    changed();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    changed();
  });
  const exited = new Promise<Finished>((resolve) =>
    child.on('close', (code, signal) => {
      changed();
      resolve(finished(code, signal, stdout, stderr));
    }),
  );
  return {
    child,
    hostId: `${hostname().split('.').reverse().join('.')}.${child.pid}`,
    output: () => stdout + stderr,
    exited,
    waitFor(pattern, timeout = 20000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(stdout + stderr)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`zocalo ${args.join(' ')} exited before ${pattern}:\n${stdout}${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`timed out waiting for ${pattern} from zocalo ${args.join(' ')}:\n${stdout}${stderr}`),
          );
        }, timeout);
        listeners.add(check);
        check();
      });
    },
  };
}

/** A new temporary directory holding the given files (name → JSON value or text). */
export function tempDirectory(files: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'zocalo-cli-'));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

export { BROKER_FLAGS, sleep };

/** Resolve once `predicate` holds, polling; reject after `timeout` ms (child processes are slow). */
export function until(predicate: () => boolean, timeout = 10_000): Promise<void> {
  return sharedUntil(predicate, timeout);
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
