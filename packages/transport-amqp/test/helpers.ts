/** Shared bits of this package's tests. */
import type { ChannelModel } from 'amqplib';
import { connect } from 'amqplib';
import { BROKERS } from '@zocalo/test-brokers';
import type { Logger } from '@zocalo/workflows';

/** A logger that keeps what is logged, for tests that check warnings, and prints nothing. */
export interface RecordingLogger extends Logger {
  readonly records: Array<{ level: string; obj: object; msg?: string }>;
}

export function quietLogger(): RecordingLogger {
  const records: Array<{ level: string; obj: object; msg?: string }> = [];
  const logger: RecordingLogger = {
    records,
    debug: (obj, msg) => void records.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => void records.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => void records.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => void records.push({ level: 'error', obj, msg }),
    child: () => logger,
  };
  return logger;
}

/** A raw amqplib connection, for checking what is on the wire and for playing python-workflows. */
export function rawConnection(): Promise<ChannelModel> {
  return connect(BROKERS.amqp.url);
}

async function management(method: 'GET' | 'DELETE', path: string): Promise<Response> {
  const { url, user, pass } = BROKERS.management;
  const authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  return fetch(`${url}${path}`, {
    method,
    headers: { authorization, accept: 'application/json', 'x-reason': 'zocalo transport-amqp test' },
  });
}

interface ConnectionInfo {
  readonly name: string;
  readonly client_properties?: { readonly connection_name?: string };
}

/** Names (as the management API knows them) of the connections whose client name starts with `prefix`. */
export async function connectionsNamed(prefix: string): Promise<string[]> {
  const response = await management('GET', '/api/connections');
  if (!response.ok) throw new Error(`management API: GET /api/connections answered ${response.status}`);
  const list = (await response.json()) as ConnectionInfo[];
  return list
    .filter((info) => info.client_properties?.connection_name?.startsWith(prefix))
    .map((info) => info.name);
}

/**
 * Force-close, from the broker side, the connections whose client name starts with `prefix` (waits
 * until the management API lists them). Resolves with how many were closed.
 */
export async function forceClose(prefix: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = await connectionsNamed(prefix);
    if (names.length > 0) {
      for (const name of names) {
        const response = await management('DELETE', `/api/connections/${encodeURIComponent(name)}`);
        await response.body?.cancel();
      }
      return names.length;
    }
    if (Date.now() > deadline)
      throw new Error(`no connection named ${prefix}* appeared in the management API`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wait until `check` is true, polling (running `poll` between checks); throws with `what` on time-out. */
export async function waitUntil(
  check: () => boolean,
  what: string,
  timeoutMs = 10_000,
  poll?: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await poll?.();
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(poll ? 200 : 20);
    await poll?.();
  }
}
