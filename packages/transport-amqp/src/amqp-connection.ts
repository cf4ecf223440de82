/**
 * Opening AMQP connections: try each broker address in turn and turn amqplib's failures into a
 * {@link ConnectionError} that says what is wrong (broker unreachable, login refused, unknown vhost).
 */
import type { ChannelModel } from 'amqplib';
import { connect } from 'amqplib';
import { ConnectionError, LoginRefusedError, ZocaloError } from '@zocalo/workflows';
import type { BrokerAddress, ResolvedAmqpOptions } from './amqp-settings';
import { guardContentHeaders } from './frame-guard';
import { batchWrites } from './write-batching';

export interface OpenedConnection {
  readonly model: ChannelModel;
  readonly address: BrokerAddress;
}

function describe(address: BrokerAddress, vhost: string): string {
  return `amqp://${address.host}:${address.port}${vhost === '/' ? '' : `/${encodeURIComponent(vhost)}`}`;
}

/** One line for one failed attempt, naming the likely fix. */
export function explainConnectFailure(
  error: unknown,
  address: BrokerAddress,
  options: ResolvedAmqpOptions,
): string {
  const where = describe(address, options.vhost);
  const message = error instanceof Error ? error.message : String(error);
  // A socket's errno (ECONNREFUSED); our errors' codes (ZOCALO_...) say nothing about reaching it.
  const code = error instanceof ZocaloError ? undefined : (error as { code?: unknown } | undefined)?.code;
  if (/ACCESS[-_]REFUSED|403/.test(message)) {
    return `${where} refused the login of user "${options.username}" (check --rabbit-user and --rabbit-pass): ${message}`;
  }
  // A missing vhost shows up as a connection.close answering connection.open.
  if (/NOT[-_]ALLOWED|530|ConnectionOpenOk/.test(message) || /vhost/i.test(message)) {
    return `${where} does not let user "${options.username}" into vhost "${options.vhost}" (check --rabbit-vhost): ${message}`;
  }
  if (typeof code === 'string' || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET/.test(message)) {
    return `cannot reach RabbitMQ at ${where} (${typeof code === 'string' ? code : message}); is the broker running, and are --rabbit-host and --rabbit-port right?`;
  }
  return `${where}: ${message}`;
}

/** True when retrying the same address cannot help (wrong credentials or vhost). */
export function isLoginFailure(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /ACCESS[-_]REFUSED|NOT[-_]ALLOWED|\b403\b|\b530\b/.test(message);
}

/**
 * Connect to the first address that answers, starting at `start` (the last good one on reconnects).
 * Rejects with a ConnectionError listing every attempt when none does.
 */
export async function openConnection(
  options: ResolvedAmqpOptions,
  role: string,
  start = 0,
): Promise<OpenedConnection> {
  const failures: string[] = [];
  const count = options.addresses.length;
  let lastError: unknown;
  for (let i = 0; i < count; i++) {
    const address = options.addresses[(start + i) % count];
    try {
      const model = await connect(
        {
          protocol: 'amqp',
          hostname: address.host,
          port: address.port,
          username: options.username,
          password: options.password,
          vhost: options.vhost,
          heartbeat: options.heartbeat,
        },
        {
          noDelay: options.noDelay,
          timeout: Math.round(options.connectTimeout * 1000),
          clientProperties: { connection_name: `${options.connectionName} ${role}` },
        },
      );
      batchWrites(model);
      guardContentHeaders(model);
      return { model, address };
    } catch (error) {
      lastError = error;
      failures.push(explainConnectFailure(error, address, options));
    }
  }
  // Refused credentials are worth no more attempts: a reconnection stops at once on them.
  const Failure = isLoginFailure(lastError) ? LoginRefusedError : ConnectionError;
  throw new Failure(`amqp transport: could not connect (${role}): ${failures.join('; ')}`, {
    cause: lastError,
  });
}
