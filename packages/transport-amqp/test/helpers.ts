/** Shared bits of this package's tests. */
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect as netConnect, createServer } from 'node:net';
import type { Channel, ChannelModel } from 'amqplib';
import { connect } from 'amqplib';
import { BROKERS, rabbitManagement, requireBroker, sleep, uniqueName } from '@zocalo/test-brokers';
import { RecordingLogger } from '@zocalo/workflows';
import type { AmqpTransportOptions } from '../src';
import { AmqpTransport } from '../src';

/** A raw amqplib connection, for checking what is on the wire and for playing python-workflows. */
export function rawConnection(): Promise<ChannelModel> {
  return connect(BROKERS.amqp.url);
}

/** What a test file on the real broker shares: its transports, its queues and a raw channel. */
export interface AmqpFixture {
  /** A connected transport, disconnected after the test. */
  transport(options?: AmqpTransportOptions): Promise<AmqpTransport>;
  /** A unique queue name `zocalo.amqp.<base>.…`; it and its `dlq.` twin are deleted after the file. */
  queueName(base: string): string;
  /** More queues to delete after the file (e.g. delay holding queues). */
  keep(...queues: string[]): void;
  /** A raw amqplib channel, for checking what is on the wire. */
  channel(): Channel;
  /** The raw amqplib connection of {@link channel}. */
  model(): ChannelModel;
}

/** Registers the jest hooks of an {@link AmqpFixture}: call it at the top level of a test file. */
export function useAmqpFixture(): AmqpFixture {
  let raw: ChannelModel | undefined;
  let rawChannel: Channel | undefined;
  const transports: AmqpTransport[] = [];
  const queues: string[] = [];
  beforeAll(async () => {
    await requireBroker('amqp');
    raw = await rawConnection();
    rawChannel = await raw.createChannel();
  });
  afterEach(async () => {
    for (const each of transports.splice(0)) await each.disconnect();
  });
  afterAll(async () => {
    await raw?.close();
    for (const queue of queues) await rabbitManagement.deleteQueue(queue).catch(() => undefined);
  });
  return {
    async transport(options = {}) {
      const created = new AmqpTransport({ host: '127.0.0.1', logger: new RecordingLogger(), ...options });
      transports.push(created);
      await created.connect();
      return created;
    },
    queueName(base) {
      const name = uniqueName(`zocalo.amqp.${base}`);
      queues.push(name, `dlq.${name}`);
      return name;
    },
    keep(...names) {
      queues.push(...names);
    },
    channel() {
      if (!rawChannel) throw new Error('the raw channel opens in beforeAll: use it inside a test');
      return rawChannel;
    },
    model() {
      if (!raw) throw new Error('the raw connection opens in beforeAll: use it inside a test');
      return raw;
    },
  };
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

/** A local TCP proxy to RabbitMQ, which a test can take away. */
export interface Proxy {
  readonly port: number;
  /** Drop every connection and stop listening. */
  close(): Promise<void>;
  /** Stop passing on what the broker sends (confirms, deliveries); the client's frames still reach it. */
  holdReplies(): void;
}

export async function proxyToRabbit(): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const pairs: Array<{ client: Socket; upstream: Socket }> = [];
  const target = new URL(BROKERS.amqp.url);
  const server: Server = createServer((client) => {
    const upstream = netConnect({ host: target.hostname, port: Number(target.port || 5672) });
    pairs.push({ client, upstream });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
    holdReplies: () => {
      for (const { client, upstream } of pairs) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
  };
}
