/** The fault proxy against a plain TCP echo server. */
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';
import { FaultProxy } from '../src';

let echo: Server;
let echoPort: number;
const echoSockets = new Set<Socket>();

beforeAll(async () => {
  echo = createServer((socket) => {
    echoSockets.add(socket);
    socket.on('close', () => echoSockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const socket of echoSockets) socket.destroy();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

/** A client socket that records what it reads and how it ended. */
interface Client {
  readonly socket: Socket;
  readonly received: () => string;
  readonly ended: Promise<'end' | 'error'>;
}

function client(proxy: FaultProxy): Promise<Client> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(proxy.address.port, proxy.address.host);
    let endedAs: (how: 'end' | 'error') => void = () => undefined;
    const ended = new Promise<'end' | 'error'>((done) => (endedAs = done));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => endedAs('end'));
    socket.on('error', () => endedAs('error'));
    // A reset connection may fail before 'connect' is seen.
    const made = (): void => resolve({ socket, received: () => text, ended });
    socket.on('connect', made);
    socket.on('error', made);
  });
}

async function until(predicate: () => boolean, timeout = 2000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How many handles of each type are alive now. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** The types of which more handles are alive now than in `before`, with their counts. */
function leaked(before: Record<string, number>): Record<string, number> {
  const now = handles();
  return Object.fromEntries(Object.entries(now).filter(([type, count]) => count > (before[type] ?? 0)));
}

describe('FaultProxy', () => {
  it('forwards both ways and counts connections', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
    try {
      const a = await client(proxy);
      a.socket.write('hello');
      await until(() => a.received() === 'hello');
      expect(proxy.stats()).toMatchObject({ open: 1, accepted: 1, refused: 0 });
      a.socket.end();
      await until(() => proxy.stats().open === 0);
    } finally {
      await proxy.close();
    }
  });

  it('dropAll sends a FIN to every client and takes new connections', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
    try {
      const a = await client(proxy);
      const b = await client(proxy);
      await until(() => proxy.stats().open === 2);
      proxy.dropAll();
      expect(await a.ended).toBe('end');
      expect(await b.ended).toBe('end');
      await until(() => proxy.stats().open === 0);
      expect(proxy.stats().dropped).toBe(2);
      const c = await client(proxy);
      c.socket.write('again');
      await until(() => c.received() === 'again');
      c.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('stall passes nothing either way, keeps the sockets open, and resume lets it through', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
    try {
      const a = await client(proxy);
      a.socket.write('before');
      await until(() => a.received() === 'before');
      proxy.stall();
      a.socket.write('during');
      // A connection made during the stall is held silent too.
      const b = await client(proxy);
      b.socket.write('new');
      await sleep(300);
      expect(a.received()).toBe('before');
      expect(b.received()).toBe('');
      expect(a.socket.destroyed).toBe(false);
      expect(proxy.stats()).toMatchObject({ open: 2, stalled: true });
      proxy.resume();
      await until(() => a.received() === 'beforeduring' && b.received() === 'new');
      a.socket.destroy();
      b.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('a stalled link can be closed by dropAll', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
    try {
      const a = await client(proxy);
      proxy.stall();
      proxy.dropAll();
      expect(await a.ended).toBe('end');
      await until(() => proxy.stats().open === 0, 3000);
    } finally {
      await proxy.close();
    }
  });

  it('refuse resets new connections for a while, then accepts again', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
    try {
      proxy.refuse(300);
      const refused = await client(proxy);
      expect(await refused.ended).toBe('error');
      expect(proxy.stats()).toMatchObject({ refused: 1, accepted: 0, refusing: true });
      await sleep(350);
      expect(proxy.stats().refusing).toBe(false);
      const a = await client(proxy);
      a.socket.write('ok');
      await until(() => a.received() === 'ok');
      a.socket.destroy();
      proxy.refuse();
      const b = await client(proxy);
      expect(await b.ended).toBe('error');
      proxy.accept();
      const c = await client(proxy);
      c.socket.write('ok');
      await until(() => c.received() === 'ok');
      c.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('a client of an unreachable target gets a FIN', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: 1 });
    try {
      const a = await client(proxy);
      expect(await a.ended).toBe('end');
      await until(() => proxy.stats().open === 0);
    } finally {
      await proxy.close();
    }
  });

  it('close() leaves no socket, server or timer behind, whatever state it is in', async () => {
    const before = handles();
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
    const a = await client(proxy);
    const b = await client(proxy);
    await until(() => proxy.stats().open === 2);
    proxy.stall();
    proxy.refuse(60_000);
    proxy.dropAll(); // leaves linger timers running
    await proxy.close();
    await proxy.close(); // idempotent
    await Promise.all([a.ended, b.ended]);
    await until(() => echoSockets.size === 0);
    expect(proxy.stats().open).toBe(0);
    expect(leaked(before)).toEqual({});
  });
});
