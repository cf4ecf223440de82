/** Shared set-up of the broker tests: the test broker's address and a logger that keeps jest quiet. */
import type { Client } from 'stompit';
import stompitConnect from 'stompit/lib/connect.js';
import type { Logger } from '@zocalo/workflows';
import { BROKERS } from '@zocalo/test-brokers';
import type { StompTransportOptions } from '../src';
import { StompTransport } from '../src';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: object;
}

/** A logger that records what it is told (printed too when ZOCALO_TEST_LOG is set). */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  debug(fields: object, message = ''): void {
    this.record('debug', fields, message);
  }
  info(fields: object, message = ''): void {
    this.record('info', fields, message);
  }
  warn(fields: object, message = ''): void {
    this.record('warn', fields, message);
  }
  error(fields: object, message = ''): void {
    this.record('error', fields, message);
  }
  child(): Logger {
    return this;
  }
  messages(level: LogEntry['level']): string[] {
    return this.entries.filter((entry) => entry.level === level).map((entry) => entry.message);
  }
  private record(level: LogEntry['level'], fields: object, message: string): void {
    this.entries.push({ level, fields, message });
    if (process.env.ZOCALO_TEST_LOG) process.stderr.write(`[${level}] ${message}\n`);
  }
}

/** The test broker's STOMP port; ZOCALO_STOMP_PORT points the tests at another ActiveMQ on this host. */
export const STOMP_PORT = Number(process.env.ZOCALO_STOMP_PORT ?? BROKERS.stomp.port);

/** Options reaching the test broker (scripts/brokers.sh). */
export function brokerOptions(extra: StompTransportOptions = {}): StompTransportOptions {
  return {
    host: BROKERS.stomp.host,
    port: STOMP_PORT,
    username: BROKERS.stomp.user,
    password: BROKERS.stomp.pass,
    logger: new RecordingLogger(),
    ...extra,
  };
}

/** A fresh, unconnected transport on the test broker. */
export function stompTransport(extra: StompTransportOptions = {}): StompTransport {
  return new StompTransport(brokerOptions(extra));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `condition` holds, or fail with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A bare stompit client on the test broker: to look at frames as they are, or send as Python does. */
export function rawClient(): Promise<Client> {
  return new Promise((resolve, reject) => {
    stompitConnect(
      {
        host: BROKERS.stomp.host,
        port: STOMP_PORT,
        connectHeaders: {
          host: '/',
          login: BROKERS.stomp.user,
          passcode: BROKERS.stomp.pass,
          'heart-beat': '0,0',
        },
      },
      (error: Error | null, client: Client) => (error ? reject(error) : resolve(client)),
    );
  });
}

export interface RawMessage {
  readonly headers: Record<string, string | number>;
  readonly body: string;
}

let rawSubscriptionId = 1000;

/** Subscribe a bare client (auto ack) and collect what arrives; resolves once the broker has the SUBSCRIBE. */
export async function rawSubscribe(client: Client, destination: string): Promise<RawMessage[]> {
  const messages: RawMessage[] = [];
  const id = rawSubscriptionId++;
  client.setImplicitSubscription(id, 'auto', (error, message) => {
    if (error) return;
    const headers = (message as unknown as { headers: Record<string, string | number> }).headers;
    message.readString('utf-8', (_readError, body) => messages.push({ headers, body: body ?? '' }));
  });
  await new Promise<void>((resolve) => {
    client.sendFrame('SUBSCRIBE', { destination, id, ack: 'auto' }, { onReceipt: resolve } as never).end();
  });
  return messages;
}

/** Send a frame from a bare client and wait for the broker's receipt. */
export function rawSend(client: Client, headers: Record<string, string>, body: string): Promise<void> {
  return new Promise((resolve) => {
    client.send(headers, { onReceipt: resolve } as never).end(body);
  });
}

/** Log out a bare client. */
export function rawClose(client: Client): Promise<void> {
  return new Promise((resolve) => client.disconnect(() => resolve()));
}
