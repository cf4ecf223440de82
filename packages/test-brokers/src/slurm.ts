/**
 * The Slurm cluster of `scripts/slurm.sh` for the tests: slurmrestd's URL, the REST API version, the
 * user and the JWT file, and a guard that FAILS a test run when the cluster does not answer (never skips).
 * The script writes them to `<state folder>/slurm.env` at each start; `ZOCALO_TEST_SLURM_URL`,
 * `ZOCALO_TEST_SLURM_TOKEN_FILE`, `ZOCALO_TEST_SLURM_API_VERSION` point the tests at another cluster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './index';

/** How the tests reach the Slurm REST API. */
export interface SlurmTestSettings {
  /** slurmrestd's base URL (`http://127.0.0.1:6820`). */
  readonly url: string;
  /** The API version slurmrestd serves there (`v0.0.38`: Debian 12's Slurm 22.05). */
  readonly apiVersion: string;
  /** The user the token is for, and the jobs run as (`root`). */
  readonly user: string;
  /** The file holding the JWT (`scontrol token`, renewed at each `slurm.sh start`). */
  readonly tokenFile: string;
  /** The cluster's partition (`debug`). */
  readonly partition: string;
  /** The script's state folder (`<repo>/.slurm`), where its logs are. */
  readonly stateDir: string;
}

function envFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) values[match[1]] = match[2];
  }
  return values;
}

/** The settings, from the environment, else from the state folder's slurm.env, else slurm.sh's defaults. */
export function slurmTestSettings(): SlurmTestSettings {
  const stateDir = process.env.ZOCALO_SLURM_DIR || join(repoRoot(), '.slurm');
  const written = envFile(join(stateDir, 'slurm.env'));
  return {
    url: process.env.ZOCALO_TEST_SLURM_URL || written.ZOCALO_SLURM_URL || 'http://127.0.0.1:6820',
    apiVersion: process.env.ZOCALO_TEST_SLURM_API_VERSION || written.ZOCALO_SLURM_API_VERSION || 'v0.0.38',
    user: written.ZOCALO_SLURM_USER || 'root',
    tokenFile:
      process.env.ZOCALO_TEST_SLURM_TOKEN_FILE ||
      written.ZOCALO_SLURM_TOKEN_FILE ||
      join(stateDir, 'jwt.token'),
    partition: written.ZOCALO_SLURM_PARTITION || 'debug',
    stateDir,
  };
}

/**
 * Throws unless slurmrestd answers an authenticated ping within `timeoutMs` (call it in `beforeAll`):
 * a missing cluster fails the run, naming what to run. Resolves with the settings.
 */
export async function requireSlurm(timeoutMs = 3000): Promise<SlurmTestSettings> {
  const settings = slurmTestSettings();
  const fix = 'run `bash scripts/slurm.sh start` (as root it installs and starts a single-node Slurm)';
  if (!existsSync(settings.tokenFile)) {
    throw new Error(`Slurm: no JWT at ${settings.tokenFile} (scripts/slurm.sh writes it): ${fix}`);
  }
  const token = readFileSync(settings.tokenFile, 'utf8').trim();
  const ping = `${settings.url}/slurm/${settings.apiVersion}/ping`;
  let problem: string;
  try {
    const response = await fetch(ping, {
      headers: { 'X-SLURM-USER-NAME': settings.user, 'X-SLURM-USER-TOKEN': token },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    if (response.ok && body.includes('"pings"') && !/"errors":\s*\[\s*\{/.test(body)) return settings;
    problem = `answered HTTP ${response.status}: ${body.replace(/\s+/g, ' ').slice(0, 300)}`;
  } catch (error) {
    // fetch's errors come from another realm under jest (no instanceof): read the cause's message.
    const field = (value: unknown, key: string): unknown =>
      typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    const cause = field(error, 'cause') ?? error;
    const message = field(cause, 'message');
    problem = `did not answer (${typeof message === 'string' ? message : String(cause)})`;
  }
  throw new Error(`Slurm REST API at ${ping} ${problem}: ${fix}`);
}
