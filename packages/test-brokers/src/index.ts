/**
 * Test harness for the real brokers: connection constants, a guard that FAILS a test run when a broker is
 * missing (never skips), broker restarts for reconnection tests, unique destination names and a small
 * client for RabbitMQ's management HTTP API. The brokers themselves are run by `scripts/brokers.sh`;
 * the Slurm cluster of the @zocalo/slurm tests by `scripts/slurm.sh` (`requireSlurm`, in slurm.ts).
 * Also the polling helpers every package's tests share (`sleep`, `until`); for a logger that records,
 * use `RecordingLogger` from `@zocalo/workflows`. Depends on no workspace package, so any package's
 * tests can use it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { dirname, join } from 'node:path';

/** A port from the environment (to run the tests against another instance), else brokers.sh's. */
function portFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const STOMP_PORT = portFromEnv('ZOCALO_TEST_STOMP_PORT', 61613);
const JOLOKIA_PORT = portFromEnv('ZOCALO_TEST_JOLOKIA_PORT', 8161);

export const BROKERS = {
  stomp: { host: '127.0.0.1', port: STOMP_PORT, user: 'admin', pass: 'password' },
  amqp: { url: 'amqp://guest:guest@127.0.0.1:5672', host: '127.0.0.1', port: 5672 },
  management: { url: 'http://127.0.0.1:15672', user: 'guest', pass: 'guest' },
  /**
   * ActiveMQ's Jolokia (scripts/brokers/jetty.xml, jetty-realm.properties), as python-zocalo's `jmx`
   * plugin names it: `http://<host>:<port>/<base_url>`.
   */
  jolokia: {
    host: '127.0.0.1',
    port: JOLOKIA_PORT,
    base_url: 'api/jolokia',
    url: `http://127.0.0.1:${JOLOKIA_PORT}/api/jolokia`,
    user: 'admin',
    pass: 'admin',
  },
} as const;

export type BrokerKind = 'stomp' | 'amqp';

/** The transport settings (`createTransport(kind, settings)`) of each broker as brokers.sh runs it. */
export const BROKER_SETTINGS: Readonly<Record<BrokerKind, Readonly<Record<string, string | number>>>> = {
  stomp: {
    host: BROKERS.stomp.host,
    port: BROKERS.stomp.port,
    username: BROKERS.stomp.user,
    password: BROKERS.stomp.pass,
  },
  amqp: { host: BROKERS.amqp.host, port: BROKERS.amqp.port, username: 'guest', password: 'guest' },
};

/** The `zocalo` command-line options that point a command at each broker as brokers.sh runs it. */
export const BROKER_FLAGS: Readonly<Record<BrokerKind, readonly string[]>> = {
  stomp: [
    '-t',
    'stomp',
    '--stomp-host',
    BROKERS.stomp.host,
    '--stomp-port',
    String(BROKERS.stomp.port),
    '--stomp-user',
    BROKERS.stomp.user,
    '--stomp-pass',
    BROKERS.stomp.pass,
  ],
  amqp: [
    '-t',
    'amqp',
    '--rabbit-host',
    BROKERS.amqp.host,
    '--rabbit-port',
    String(BROKERS.amqp.port),
    '--rabbit-user',
    'guest',
    '--rabbit-pass',
    'guest',
  ],
};

const BROKER_NAMES: Record<BrokerKind, string> = {
  stomp: 'ActiveMQ (STOMP)',
  amqp: 'RabbitMQ (AMQP)',
};

const RESTART_COMMANDS: Record<BrokerKind, string> = {
  stomp: 'restart-activemq',
  amqp: 'restart-rabbitmq',
};

function endpoint(kind: BrokerKind): { host: string; port: number } {
  return kind === 'stomp' ? BROKERS.stomp : BROKERS.amqp;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once `predicate` holds, checking it every 5 ms; rejects after `timeout` ms (3 s by default, under
 * jest's 5 s test timeout) with an error naming `what` it waited for.
 *
 * ```ts
 * await until(() => received.length === 2);
 * await until(() => events.includes('reconnected'), 30_000, 'the consumer to reconnect');
 * ```
 */
export async function until(predicate: () => boolean, timeout = 3000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves true when a TCP connection to host:port opens within timeoutMs, false otherwise. */
export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (await portAnswers(host, port, Math.max(100, Math.min(1000, left)))) return true;
    if (Date.now() + 250 >= deadline) return false;
    await sleep(250);
  }
}

/**
 * Throws unless the broker's port answers within a few seconds (under jest's default 5 s hook timeout, so the
 * run fails with this message rather than a timeout). Call it in `beforeAll`: a missing broker fails the run.
 */
export async function requireBroker(kind: BrokerKind, timeoutMs = 3000): Promise<void> {
  const { host, port } = endpoint(kind);
  if (await waitForPort(host, port, timeoutMs)) return;
  throw new Error(
    `${BROKER_NAMES[kind]} does not answer on ${host}:${port} (waited ${timeoutMs} ms): ` +
      'run `bash scripts/brokers.sh start` (as root it installs and starts both)',
  );
}

/**
 * Throws unless ActiveMQ's Jolokia answers an authenticated `version` request (call it in `beforeAll`).
 * brokers.sh restarts an ActiveMQ started with an older activemq.xml, so `start` brings Jolokia up.
 */
export async function requireJolokia(timeoutMs = 3000): Promise<void> {
  const { url, user, pass } = BROKERS.jolokia;
  const origin = new URL(url).origin;
  let problem: string;
  try {
    const response = await fetch(`${url}/version`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
        // Upstream's jolokia-access.xml (strict-checking) refuses requests without an Origin.
        origin,
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    if (response.ok && body.includes('"status":200')) return;
    problem = `answered HTTP ${response.status}: ${body.slice(0, 200)}`;
  } catch (error) {
    problem = `did not answer (${error instanceof Error ? error.message : String(error)})`;
  }
  throw new Error(
    `ActiveMQ's Jolokia at ${url} ${problem}: run \`bash scripts/brokers.sh start\` ` +
      '(it restarts an ActiveMQ started with an older activemq.xml, which had no Jolokia)',
  );
}

/** The repository root: the nearest ancestor holding scripts/brokers.sh and pnpm-workspace.yaml. */
export function repoRoot(): string {
  const starts = [typeof __dirname === 'string' ? __dirname : undefined, process.cwd()];
  for (const start of starts) {
    if (start === undefined) continue;
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'scripts', 'brokers.sh')) && existsSync(join(dir, 'pnpm-workspace.yaml'))) {
        return dir;
      }
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error('cannot find the repository root (a directory with scripts/brokers.sh)');
}

/** Runs scripts/brokers.sh with the given arguments; resolves with its output, rejects with it on failure. */
export function brokersScript(args: readonly string[], timeoutMs = 180_000): Promise<string> {
  const script = join(repoRoot(), 'scripts', 'brokers.sh');
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error) {
        reject(new Error(`bash scripts/brokers.sh ${args.join(' ')} failed: ${error.message}\n${output}`));
      } else {
        resolve(output);
      }
    });
  });
}

/**
 * Restarts a broker (ActiveMQ: stops and starts the JVM the script started; RabbitMQ: stop_app/start_app,
 * which closes every client connection) and resolves once its port answers again. Durable queues and
 * persistent messages survive. Needs a timeout of ~30 s in the calling test.
 */
export async function restartBroker(kind: BrokerKind): Promise<void> {
  await brokersScript([RESTART_COMMANDS[kind]]);
  const { host, port } = endpoint(kind);
  if (!(await waitForPort(host, port, 30_000))) {
    throw new Error(`${BROKER_NAMES[kind]} did not answer on ${host}:${port} after a restart`);
  }
}

/** A queue/topic name no other test (file, process or run) uses: prefix, time and randomness. */
export function uniqueName(prefix: string): string {
  return `${prefix}.${Date.now().toString(36)}.${process.pid.toString(36)}${randomBytes(4).toString('hex')}`;
}

/** A queue as described by RabbitMQ's management API (GET /api/queues/{vhost}/{name}); the fields used here. */
export interface RabbitQueueInfo {
  name: string;
  vhost: string;
  type: 'classic' | 'quorum' | 'stream' | string;
  durable: boolean;
  auto_delete: boolean;
  exclusive: boolean;
  arguments: Record<string, unknown>;
  state?: string;
  consumers?: number;
  /** Message counts: refreshed by the broker's statistics timer (every 5 s by default), so they lag. */
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
}

function isQueueInfo(value: unknown): value is RabbitQueueInfo {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.name === 'string' && typeof record.vhost === 'string';
}

async function managementRequest(method: 'GET' | 'DELETE', path: string): Promise<Response> {
  const { url, user, pass } = BROKERS.management;
  const authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  return fetch(`${url}${path}`, { method, headers: { authorization, accept: 'application/json' } });
}

function queuePath(name: string, vhost: string): string {
  return `/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`;
}

async function failure(response: Response, what: string): Promise<Error> {
  const body = await response.text().catch(() => '');
  return new Error(
    `RabbitMQ management API: ${what} answered ${response.status} ${response.statusText} ${body}`,
  );
}

export const rabbitManagement = {
  /** The queue's description, or undefined when it does not exist. */
  async getQueue(name: string, vhost = '/'): Promise<RabbitQueueInfo | undefined> {
    const response = await managementRequest('GET', queuePath(name, vhost));
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw await failure(response, `GET queue ${name}`);
    const info: unknown = await response.json();
    if (!isQueueInfo(info)) throw new Error(`RabbitMQ management API: unexpected answer for queue ${name}`);
    return info;
  },

  /** Deletes the queue; resolves false when it did not exist. */
  async deleteQueue(name: string, vhost = '/'): Promise<boolean> {
    const response = await managementRequest('DELETE', queuePath(name, vhost));
    if (response.status === 404) {
      await response.body?.cancel();
      return false;
    }
    if (!response.ok) throw await failure(response, `DELETE queue ${name}`);
    await response.body?.cancel();
    return true;
  },
};

// The Slurm cluster of scripts/slurm.sh (slurmrestd's address, the JWT file, requireSlurm).
export type { SlurmTestSettings } from './slurm';
export { requireSlurm, slurmTestSettings } from './slurm';

export type { SiteOfTest } from './sites';
export { SITES, deadLetterQueue, removeQueues, siteYaml } from './sites';
