/** Clear errors for an unreachable broker, a refused login, a broker that never answers, and stalls. */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TransportEvent } from '@zocalo/workflows';
import { ConnectionError, LoginRefusedError, RecordingLogger } from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import { SendBacklogFullError, StompTransport } from '../src';
import type { FakeBroker } from './fake-broker';
import { fakeBroker } from './fake-broker';

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function connectError(transport: StompTransport): Promise<Error> {
  try {
    await transport.connect();
  } catch (error) {
    return error as Error;
  } finally {
    await transport.disconnect().catch(() => undefined);
  }
  throw new Error('connect() succeeded but should have failed');
}

describe('connection errors', () => {
  let fake: FakeBroker | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('names the address and what to check when the broker is unreachable', async () => {
    const port = await closedPort();
    const error = await connectError(
      new StompTransport({ host: '127.0.0.1', port, logger: new RecordingLogger() }),
    );
    expect(error.name).toBe('ConnectionError');
    expect(error.message).toContain(`ActiveMQ at 127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toMatch(/--stomp-host/);
  });

  it('tries every host of a host list and reports each failure', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const transport = new StompTransport({
      host: '127.0.0.1,localhost',
      port: `${a},${b}`,
      logger: new RecordingLogger(),
    });
    const error = await connectError(transport);
    expect(error.name).toBe('ConnectionError');
    expect(error.message).toContain(`127.0.0.1:${a}`);
    expect(error.message).toContain(`localhost:${b}`);
  });

  it('fails over to the next host of the list', async () => {
    fake = await fakeBroker('stall');
    const dead = await closedPort();
    const transport = new StompTransport({
      host: ['127.0.0.1', '127.0.0.1'],
      port: [dead, fake.port],
      stallTimeout: 0.5,
      logger: new RecordingLogger(),
    });
    await transport.connect();
    expect(transport.isConnected()).toBe(true);
    expect(fake.frames[0]).toMatch(/^CONNECT\n/);
    await transport.disconnect();
  });

  it('reports a refused login with the broker’s own message', async () => {
    fake = await fakeBroker('refuse-login');
    const error = await connectError(
      new StompTransport({
        host: '127.0.0.1',
        port: fake.port,
        username: 'nobody',
        logger: new RecordingLogger(),
      }),
    );
    // Trying again cannot help: a reconnection stops at once on it.
    expect(error).toBeInstanceOf(LoginRefusedError);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain('refused the login as "nobody"');
    expect(error.message).toContain('User name [nobody] or password is invalid.');
    expect(error.message).toMatch(/--stomp-user/);
  });

  it('sends the login, the heart-beat and the accepted versions in CONNECT', async () => {
    fake = await fakeBroker('refuse-login');
    await connectError(
      new StompTransport({
        host: '127.0.0.1',
        port: fake.port,
        username: 'u',
        password: 'p:w\\d',
        heartbeat: 7,
        logger: new RecordingLogger(),
      }),
    );
    const connect = fake.frames[0].split('\n');
    expect(connect[0]).toBe('CONNECT');
    expect(connect).toEqual(
      expect.arrayContaining([
        'login:u',
        'passcode:p:w\\d',
        'accept-version:1.1,1.2',
        'heart-beat:7000,7000',
      ]),
    );
  });

  it('refuses a broker that only speaks STOMP 1.0 (no header escaping)', async () => {
    fake = await fakeBroker('stomp-1.0');
    const error = await connectError(
      new StompTransport({ host: '127.0.0.1', port: fake.port, logger: new RecordingLogger() }),
    );
    expect(error.name).toBe('ConnectionError');
    expect(error.message).toContain('STOMP 1.0');
  });

  it('gives up on a broker that accepts the connection but never logs in', async () => {
    fake = await fakeBroker('mute');
    const started = Date.now();
    const error = await connectError(
      new StompTransport({
        host: '127.0.0.1',
        port: fake.port,
        connectTimeout: 0.5,
        logger: new RecordingLogger(),
      }),
    );
    expect(error.name).toBe('ConnectionError');
    expect(error.message).toContain('did not complete the STOMP login within 0.5 s');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('rejects credentials that would break the CONNECT frame', () => {
    expect(() => new StompTransport({ password: 'a\nlogin:admin' })).toThrow(/line breaks/);
  });

  it('ends cleanly when reconnecting gives up, and bounds the sends that wait meanwhile', async () => {
    fake = await fakeBroker('receipts');
    const logger = new RecordingLogger();
    const transport = new StompTransport({
      host: '127.0.0.1',
      port: fake.port,
      heartbeat: 0,
      sendWindow: 3,
      reconnect: { initialDelay: 0.4, maxDelay: 0.4, attempts: 2 },
      logger,
    });
    const events: TransportEvent[] = [];
    transport.onEvent((event) => events.push(event));
    await transport.connect();
    await transport.subscribe('held', () => undefined, { acknowledgement: true });
    await transport.send('q', 0);
    // The broker goes away for good.
    await fake.close();
    fake = undefined;
    await until(() => events.some((event) => event.type === 'reconnecting'), 3000, 'reconnecting');
    const outcomes = [1, 2, 3, 4, 5].map((n) =>
      transport.send('q', { n }).then(
        () => 'sent',
        (error: Error) => error,
      ),
    );
    // Three sends wait for the reconnection (sendWindow); more are refused at once, saying what to do.
    const refused = await Promise.all(outcomes.slice(3));
    for (const error of refused) {
      expect(error).toBeInstanceOf(SendBacklogFullError);
      expect((error as Error).message).toMatch(/wait for the transport's 'reconnected' event/i);
    }
    await until(() => events.some((event) => event.type === 'disconnected'), 5000, 'giving up');
    const disconnected = events.find((event) => event.type === 'disconnected') as { error?: Error };
    expect(disconnected.error?.name).toBe('ConnectionError');
    expect(disconnected.error?.message).toMatch(/gave up reconnecting .* connect\(\) and subscribe again/);
    for (const outcome of await Promise.all(outcomes.slice(0, 3))) {
      expect((outcome as Error).name).toBe('ConnectionError');
    }
    expect(transport.isConnected()).toBe(false);
    await expect(transport.send('q', 6)).rejects.toThrow(/while disconnected/);
    // disconnect() afterwards does nothing: no error, no second event.
    const count = events.length;
    await transport.disconnect();
    expect(events).toHaveLength(count);
    expect(events.filter((event) => event.type === 'disconnected')).toHaveLength(1);
  });

  it('beats at half the heart-beat interval, and drops a silent broker only after three intervals', async () => {
    fake = await fakeBroker('silent-heartbeats');
    const transport = new StompTransport({
      host: '127.0.0.1',
      port: fake.port,
      heartbeat: 0.4,
      reconnect: { initialDelay: 5, maxDelay: 5, attempts: 1 },
      logger: new RecordingLogger(),
    });
    const lost: number[] = [];
    transport.onEvent((event) => {
      if (event.type === 'reconnecting' || event.type === 'disconnected') lost.push(Date.now());
    });
    await transport.connect();
    const connected = Date.now();
    try {
      await until(() => lost.length > 0, 6000, 'the silent broker to be dropped');
      const silentFor = lost[0] - connected;
      // Our own liveness check (not stompit's, which looks once per 30 s window or three intervals):
      // dropped after three intervals (1.2 s) of silence, checked four times per bound. Two
      // intervals would be 0.8 s.
      expect(silentFor).toBeGreaterThanOrEqual(1150);
      expect(silentFor).toBeLessThan(1200 * 1.25 + 300);
      // Beats every 0.2 s while the broker listened, not every 0.4 s (ActiveMQ allows no grace).
      const window = fake.beats.filter((at) => at - connected <= 1100);
      expect(window.length).toBeGreaterThanOrEqual(5);
    } finally {
      await transport.disconnect();
    }
  });

  it('detects a broker that stops confirming frames, reports the stall and reconnects', async () => {
    fake = await fakeBroker('stall');
    const logger = new RecordingLogger();
    const transport = new StompTransport({
      host: '127.0.0.1',
      port: fake.port,
      heartbeat: 0,
      stallTimeout: 0.5,
      sendTimeout: 1.5,
      reconnect: { initialDelay: 0.05, maxDelay: 0.1, attempts: 100 },
      logger,
    });
    const events: TransportEvent[] = [];
    transport.onEvent((event) => events.push(event));
    await transport.connect();
    const started = Date.now();
    const outcome = await transport.send('stalled.queue', { n: 1 }).then(
      () => 'confirmed',
      (error: Error) => error,
    );
    // Never a silent hang: the send fails once its time is up, with a reason.
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).name).toBe('ConnectionError');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(logger.messages('error').some((message) => /stalled/.test(message))).toBe(true);
    const reconnecting = events.find((event) => event.type === 'reconnecting');
    expect(reconnecting).toBeDefined();
    expect(String((reconnecting as { error?: Error }).error?.message)).toMatch(/has not confirmed any frame/);
    await until(() => events.some((event) => event.type === 'reconnected'), 3000, 'the reconnection');
    await transport.disconnect();
  });

  it('marks a send written again after its link dropped unconfirmed with zocalo-resent', async () => {
    fake = await fakeBroker('stall');
    const transport = new StompTransport({
      host: '127.0.0.1',
      port: fake.port,
      heartbeat: 0,
      stallTimeout: 0.3,
      sendTimeout: 3,
      reconnect: { initialDelay: 0.05, maxDelay: 0.1, attempts: 100 },
      logger: new RecordingLogger(),
    });
    await transport.connect();
    const outcome = transport.send('resent.queue', { n: 1 }).catch((error: Error) => error);
    const sends = (): string[] => fake!.frames.filter((frame) => frame.startsWith('SEND'));
    await until(() => sends().length >= 2, 4000, 'the send to be written a second time');
    // The first copy may have reached the broker: only the later ones say so.
    expect(sends()[0]).not.toMatch(/\nzocalo-resent:/);
    expect(sends()[1]).toMatch(/\nzocalo-resent:true\n/);
    await transport.disconnect();
    expect(await outcome).toBeInstanceOf(Error);
  });
});
