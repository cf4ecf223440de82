import { createServer, connect as netConnect } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { TransportEvent } from '../src';
import {
  ConnectionError,
  DisconnectedError,
  ReconnectEvents,
  ReconnectingConnection,
  RecordingLogger,
  SendBacklogFullError,
  TransportConfigError,
  WaitingSends,
  reconnectDelay,
  resolveReconnect,
  watchLiveness,
} from '../src';
import type { ConnectionErrorKind, ReconnectPolicy, SessionHooks } from '../src';

const FAST: ReconnectPolicy = { initialDelayMs: 1, maxDelayMs: 5, attempts: 5 };

describe('resolveReconnect and reconnectDelay', () => {
  it('applies the defaults, in milliseconds', () => {
    expect(resolveReconnect(undefined, 'x')).toEqual({
      initialDelayMs: 100,
      maxDelayMs: 10_000,
      attempts: 30,
    });
    expect(resolveReconnect({ attempts: 3, initialDelay: 0 }, 'x')).toEqual({
      initialDelayMs: 0,
      maxDelayMs: 10_000,
      attempts: 3,
    });
    expect(resolveReconnect(false, 'x')).toBe(false);
  });

  it.each([
    [{ attempts: 0 }, /reconnect.attempts must be a whole number > 0/],
    [{ attempts: 1.5 }, /reconnect.attempts/],
    [{ maxDelay: 0 }, /reconnect.maxDelay must be a number > 0/],
    [{ initialDelay: -1 }, /reconnect.initialDelay must be a number >= 0/],
    [{ initialDelay: 'soon' }, /reconnect.initialDelay/],
    ['yes', /reconnect must be false or/],
    [true, /reconnect must be false or/],
  ])('refuses %p with a TransportConfigError', (value, message) => {
    expect(() => resolveReconnect(value, 'stomp')).toThrow(TransportConfigError);
    expect(() => resolveReconnect(value, 'stomp')).toThrow(message);
  });

  it('doubles up to the longest wait, within the jitter', () => {
    const policy: ReconnectPolicy = { initialDelayMs: 100, maxDelayMs: 1000, attempts: 9 };
    expect([1, 2, 3, 4, 5].map((attempt) => reconnectDelay(attempt, policy, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(reconnectDelay(1, policy, () => 0)).toBe(80);
    expect(reconnectDelay(1, policy, () => 1)).toBe(120);
    expect(reconnectDelay(9, policy, () => 1)).toBe(1000);
  });
});

describe('ReconnectEvents', () => {
  it('makes one ordered stream of several connections reconnecting', () => {
    const events: TransportEvent[] = [];
    const stream = new ReconnectEvents((event) => events.push(event));
    const a = {};
    const b = {};
    stream.attempt(a, 1);
    stream.attempt(b, 1);
    stream.attempt(a, 2);
    stream.attempt(b, 2);
    stream.attempt(b, 3);
    stream.up(a);
    stream.attempt(a, 1); // a drops again while b is still down: the outage goes on
    stream.up(b);
    stream.up(a);
    expect(events.map((event) => (event.type === 'reconnecting' ? event.attempt : event.type))).toEqual([
      1,
      2,
      3,
      'reconnected',
    ]);
  });
});

describe('WaitingSends', () => {
  it('releases in order, bounds the count and the bytes, and times out', async () => {
    const waiting = new WaitingSends({
      what: 'x transport: the link',
      maxSends: 2,
      maxBytes: 10,
      sendTimeoutMs: 50,
    });
    const order: number[] = [];
    const first = waiting.wait(4, Date.now() + 10_000).then(() => order.push(1));
    const second = waiting.wait(4, Date.now() + 10_000).then(() => order.push(2));
    await expect(waiting.wait(1, Date.now() + 10_000)).rejects.toBeInstanceOf(SendBacklogFullError);
    waiting.release();
    await Promise.all([first, second]);
    expect(order).toEqual([1, 2]);

    const small = waiting.wait(4, Date.now() + 10_000);
    await expect(waiting.wait(8, Date.now() + 10_000)).rejects.toThrow(/1 send\(s\)/);
    const late = waiting.wait(1, Date.now() + 50);
    await expect(late).rejects.toThrow(/did not confirm a send within 0.05 s/);
    waiting.fail(new Error('gone'));
    await expect(small).rejects.toThrow('gone');
    expect(waiting.size).toBe(0);
  });
});

/** Sessions are numbers; `refuse` makes open() fail with the given kind. */
function fakeHooks(): SessionHooks<number> & {
  opened: number[];
  closed: number[];
  restored: number[];
  refuse: ConnectionErrorKind | undefined;
} {
  let next = 0;
  const hooks = {
    opened: [] as number[],
    closed: [] as number[],
    restored: [] as number[],
    refuse: undefined as ConnectionErrorKind | undefined,
    async open(): Promise<number> {
      if (hooks.refuse) throw Object.assign(new Error(`refused (${hooks.refuse})`), { kind: hooks.refuse });
      const session = ++next;
      hooks.opened.push(session);
      return session;
    },
    async close(session: number): Promise<void> {
      hooks.closed.push(session);
    },
    classify(error: unknown): ConnectionErrorKind {
      return (error as { kind?: ConnectionErrorKind }).kind ?? 'connection';
    },
    async restore(session: number): Promise<void> {
      hooks.restored.push(session);
    },
  };
  return hooks;
}

function connection(hooks: SessionHooks<number>, policy: ReconnectPolicy | false = FAST) {
  const events: TransportEvent[] = [];
  const gaveUp: ConnectionError[] = [];
  const logger = new RecordingLogger({ echo: false });
  const link = new ReconnectingConnection(hooks, {
    transport: 'fake',
    role: 'the link',
    policy,
    logger,
    events: new ReconnectEvents((event) => events.push(event)),
    sendTimeoutMs: 5000,
    onGiveUp: (error) => gaveUp.push(error),
  });
  return { link, events, gaveUp, logger };
}

describe('ReconnectingConnection', () => {
  it('reconnects, restores the new session, and lets waiting sends through', async () => {
    const hooks = fakeHooks();
    const { link, events } = connection(hooks, { initialDelayMs: 1, maxDelayMs: 5, attempts: 1000 });
    const first = await link.open();
    hooks.refuse = 'connection';
    link.lost(first, new Error('reset'));
    link.lost(first, new Error('reset again')); // one loss, reported twice: one reconnection
    expect(link.reconnecting).toBe(true);
    const send = link.forSend(10, Date.now() + 5000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    hooks.refuse = undefined;
    const second = await send;
    expect(second).toBe(2);
    expect(link.session).toBe(2);
    expect(hooks.restored).toEqual([2]);
    expect(hooks.closed).toContain(1);
    const types = events.map((event) => event.type);
    expect(types.at(-1)).toBe('reconnected');
    expect(types.filter((type) => type === 'reconnected')).toHaveLength(1);
    expect(
      events
        .filter((event) => event.type === 'reconnecting')
        .map((event) => 'attempt' in event && event.attempt),
    ).toEqual(Array.from({ length: types.length - 1 }, (_, i) => i + 1));
  });

  it('gives up after the configured attempts with one clear error', async () => {
    const hooks = fakeHooks();
    const { link, events, gaveUp } = connection(hooks, { initialDelayMs: 1, maxDelayMs: 2, attempts: 3 });
    const first = await link.open();
    hooks.refuse = 'connection';
    link.lost(first);
    const send = link.forSend(1, Date.now() + 5000);
    await expect(send).rejects.toThrow(
      /gave up reconnecting the link after 3 attempt\(s\) \(refused \(connection\)\)/,
    );
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toBeInstanceOf(ConnectionError);
    expect(events.map((event) => event.type)).toEqual(['reconnecting', 'reconnecting', 'reconnecting']);
    await expect(link.ready()).rejects.toBeInstanceOf(DisconnectedError);
    expect(link.closed).toBe(true);
  });

  it('stops at once when the broker refuses the login', async () => {
    const hooks = fakeHooks();
    const { link, gaveUp } = connection(hooks);
    link.lost(await link.open());
    hooks.refuse = 'login';
    await expect(link.ready()).rejects.toThrow(/after 1 attempt\(s\)/);
    expect(gaveUp).toHaveLength(1);
  });

  it('gives up at once when reconnect is off', async () => {
    const hooks = fakeHooks();
    const { link, gaveUp } = connection(hooks, false);
    link.lost(await link.open(), new Error('reset'));
    expect(gaveUp[0].message).toMatch(/lost the link \(reset\) and reconnect is off/);
    await expect(link.forSend(1, Date.now() + 1000)).rejects.toBeInstanceOf(DisconnectedError);
  });

  it('ends a reconnection when closed, and closes a session that opens too late', async () => {
    const hooks = fakeHooks();
    let release: () => void = () => undefined;
    const { link, gaveUp } = connection({
      ...hooks,
      open: async () => {
        if (hooks.opened.length === 0) return hooks.open();
        await new Promise<void>((resolve) => (release = resolve));
        return hooks.open();
      },
    });
    link.lost(await link.open());
    const waiting = link.forSend(1, Date.now() + 5000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = link.close();
    release();
    await closing;
    await expect(waiting).rejects.toBeInstanceOf(DisconnectedError);
    expect(hooks.closed).toEqual([1, 2]);
    expect(gaveUp).toHaveLength(0);
  });
});

describe('watchLiveness', () => {
  let server: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps a link that reads, and drops one that goes silent within 1.25 × the bound', async () => {
    const port = (server.address() as { port: number }).port;
    const client = netConnect(port, '127.0.0.1');
    client.on('data', () => undefined);
    await new Promise((resolve) => client.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const peer = sockets.at(-1)!;
    const beats = setInterval(() => peer.write('\n'), 40);
    let silentAt = 0;
    const closed = new Promise<Error | undefined>((resolve) => client.once('error', resolve));
    watchLiveness(client, { silenceMs: 200, describe: 'test link', onSilent: () => (silentAt = Date.now()) });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(client.destroyed).toBe(false);
    clearInterval(beats);
    const stalledAt = Date.now();
    const error = await closed;
    expect(error?.message).toMatch(/test link read nothing for 0\.\d s/);
    expect(silentAt - stalledAt).toBeLessThanOrEqual(200 * 1.25 + 60);
    expect(client.destroyed).toBe(true);
  });
});
