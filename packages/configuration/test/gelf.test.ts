import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { RecordingLogger } from '@zocalo/workflows';
import { closeLogger, createLogger, gelfChunks, gelfFromRecord, loadConfiguration } from '../src';
import { memoryDestination } from './helpers';

type Gelf = Record<string, unknown>;

/** A GELF UDP listener on 127.0.0.1 (random port) that reassembles chunks and unzips. */
async function udpListener(): Promise<{
  port: number;
  messages: Gelf[];
  next(count?: number): Promise<Gelf[]>;
  close(): void;
}> {
  const socket: UdpSocket = createSocket('udp4');
  const messages: Gelf[] = [];
  const partial = new Map<string, Buffer[]>();
  let waiter: (() => void) | undefined;
  socket.on('message', (datagram) => {
    let payload: Buffer | undefined = datagram;
    if (datagram[0] === 0x1e && datagram[1] === 0x0f) {
      const id = datagram.subarray(2, 10).toString('hex');
      const parts = partial.get(id) ?? new Array<Buffer>(datagram[11]);
      parts[datagram[10]] = datagram.subarray(12);
      partial.set(id, parts);
      payload = parts.filter(Boolean).length === datagram[11] ? Buffer.concat(parts) : undefined;
      if (payload) partial.delete(id);
    }
    if (!payload) return;
    const text =
      payload[0] === 0x1f && payload[1] === 0x8b ? gunzipSync(payload).toString() : payload.toString();
    messages.push(JSON.parse(text) as Gelf);
    waiter?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    messages,
    async next(count = 1) {
      const deadline = Date.now() + 5000;
      while (messages.length < count && Date.now() < deadline)
        await new Promise<void>((resolve) => ((waiter = resolve), setTimeout(resolve, 50)));
      return messages.splice(0, count);
    },
    close: () => socket.close(),
  };
}

/** A GELF TCP listener on 127.0.0.1 (random port): null-byte framed JSON. */
async function tcpListener(port = 0): Promise<{
  port: number;
  messages: Gelf[];
  next(count?: number): Promise<Gelf[]>;
  close(): Promise<void>;
}> {
  const messages: Gelf[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      buffer += data;
      let end: number;
      while ((end = buffer.indexOf('\0')) >= 0) {
        messages.push(JSON.parse(buffer.slice(0, end)) as Gelf);
        buffer = buffer.slice(end + 1);
      }
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    async next(count = 1) {
      const deadline = Date.now() + 5000;
      while (messages.length < count && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      return messages.splice(0, count);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('GELF to Graylog', () => {
  it('sends records over UDP with the GELF fields', async () => {
    const listener = await udpListener();
    const logger = createLogger({
      service: 'Dispatcher',
      host: 'ws001.example.com',
      level: 'debug',
      destination: memoryDestination(),
      graylog: { protocol: 'UDP', host: '127.0.0.1', port: listener.port },
    });
    try {
      logger.info({ recipeId: 'f8a3c2e0-recipe' }, 'processing request');
      logger.child({ recipeId: 'another' }).debug('step done');
      const [info, debug] = await listener.next(2);
      expect(info).toMatchObject({
        version: '1.1',
        host: 'ws001.example.com',
        short_message: 'processing request',
        level: 6,
        _level_name: 'INFO',
        _service: 'Dispatcher',
        _recipe_id: 'f8a3c2e0-recipe',
        _pid: process.pid,
      });
      expect(typeof info.timestamp).toBe('number');
      expect(Math.abs((info.timestamp as number) - Date.now() / 1000)).toBeLessThan(10);
      expect(debug).toMatchObject({ short_message: 'step done', level: 7, _recipe_id: 'another' });
    } finally {
      await closeLogger(logger);
      listener.close();
    }
  });

  it('chunks a UDP message larger than the chunk size', async () => {
    const listener = await udpListener();
    const logger = createLogger({
      service: 'big',
      destination: memoryDestination(),
      graylog: { protocol: 'UDP', host: '127.0.0.1', port: listener.port, compress: false, chunkSize: 1000 },
    });
    try {
      const payload = 'x'.repeat(20_000);
      logger.warn({ payload }, 'large');
      const [message] = await listener.next();
      expect(message).toMatchObject({ short_message: 'large', level: 4, _payload: payload });
    } finally {
      await closeLogger(logger);
      listener.close();
    }
  });

  it('sends records over TCP, each ended by a null byte, with the error stack', async () => {
    const listener = await tcpListener();
    const logger = createLogger({
      service: 'Schlockmeister',
      host: 'ws002',
      destination: memoryDestination(),
      graylog: { protocol: 'TCP', host: '127.0.0.1', port: listener.port },
    });
    try {
      logger.child({ recipeId: 'r-1' }).warn({ queue: 'dlq.x' }, 'poison message');
      logger.error({ err: new Error('callback failed'), recipeId: 'r-2' }, 'message released');
      const [warn, error] = await listener.next(2);
      expect(warn).toMatchObject({
        version: '1.1',
        host: 'ws002',
        short_message: 'poison message',
        level: 4,
        _service: 'Schlockmeister',
        _recipe_id: 'r-1',
        _queue: 'dlq.x',
      });
      expect(error).toMatchObject({
        short_message: 'message released',
        level: 3,
        _level_name: 'ERROR',
        _recipe_id: 'r-2',
        _error_type: 'Error',
        _error_message: 'callback failed',
      });
      expect(error.full_message).toContain('Error: callback failed');
    } finally {
      await closeLogger(logger);
      await listener.close();
    }
  });

  it('queues TCP records while Graylog is away and sends them when it comes', async () => {
    const probe = await tcpListener();
    const port = probe.port;
    await probe.close();
    const logger = createLogger({
      service: 'late',
      destination: memoryDestination(),
      graylog: { protocol: 'TCP', host: '127.0.0.1', port },
    });
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      logger.info('before the server');
      await new Promise((resolve) => setTimeout(resolve, 150));
      const listener = await tcpListener(port);
      try {
        const [message] = await listener.next();
        expect(message).toMatchObject({ short_message: 'before the server', _service: 'late' });
      } finally {
        await closeLogger(logger);
        await listener.close();
      }
    } finally {
      stderr.mockRestore();
    }
  });

  it('comes from the graylog block of a site configuration, or a Graylog handler of the logging block', async () => {
    const udp = await udpListener();
    const tcp = await tcpListener();
    const configuration = loadConfiguration({
      text: [
        'version: 1',
        'graylog:',
        '  plugin: graylog',
        '  protocol: UDP',
        '  host: 127.0.0.1',
        `  port: ${udp.port}`,
        'logging:',
        '  plugin: logging',
        '  root: {level: WARNING, handlers: [graylog]}',
        '  loggers: {zocalo: {level: INFO}}',
        '  verbose: [{loggers: {zocalo: {level: DEBUG}}}]',
        '  handlers:',
        '    graylog:',
        '      (): zocalo.configuration.plugin_logging.GraylogTCPHandler',
        '      host: 127.0.0.1',
        `      port: ${tcp.port}`,
        'environments: {default: [graylog, logging]}',
      ].join('\n'),
      logger: new RecordingLogger(),
    });
    expect(configuration.graylog.map((settings) => settings.protocol)).toEqual(['UDP', 'TCP']);
    const logger = configuration.createLogger({ service: 'configured', destination: memoryDestination() });
    const verbose = configuration.createLogger({
      service: 'verbose',
      destination: memoryDestination(),
      verbosity: 1,
    });
    try {
      expect(logger.level).toBe('info');
      expect(verbose.level).toBe('debug');
      logger.debug('not sent');
      logger.info({ recipeId: 'r' }, 'sent');
      const [[viaUdp], [viaTcp]] = await Promise.all([udp.next(), tcp.next()]);
      expect(viaUdp).toMatchObject({ short_message: 'sent', _service: 'configured', _recipe_id: 'r' });
      expect(viaTcp).toMatchObject({ short_message: 'sent', _service: 'configured', _recipe_id: 'r' });
    } finally {
      await Promise.all([closeLogger(logger), closeLogger(verbose)]);
      udp.close();
      await tcp.close();
    }
  });
});

describe('GELF encoding', () => {
  it('maps pino levels to syslog severities as python-zocalo does', () => {
    const level = (pinoLevel: number) => gelfFromRecord({ level: pinoLevel, msg: 'm', time: 0 }, 'h').level;
    expect([10, 20, 30, 40, 50, 60].map(level)).toEqual([7, 7, 6, 4, 3, 2]);
  });

  it('names additional fields in snake case and keeps _id free', () => {
    const message = gelfFromRecord(
      { level: 30, time: 1500, msg: 'first line\nsecond', id: 7, recipeStep: 2, nested: { a: 1 } },
      'h',
    );
    expect(message).toMatchObject({
      short_message: 'first line',
      full_message: 'first line\nsecond',
      timestamp: 1.5,
      _id_: 7,
      _recipe_step: 2,
      _nested: '{"a":1}',
      host: 'h',
    });
    expect(message).not.toHaveProperty('_id');
    // The service runtime of @zocalo/workflows binds Python's name `recipe_ID`.
    expect(gelfFromRecord({ level: 30, time: 0, msg: 'm', recipe_ID: 'r' }, 'h')).toMatchObject({
      _recipe_id: 'r',
    });
  });

  it('does not chunk what fits, and refuses more than 128 chunks', () => {
    expect(gelfChunks(Buffer.alloc(100), 1420)).toHaveLength(1);
    const chunks = gelfChunks(Buffer.alloc(3000), 1000);
    expect(chunks).toHaveLength(4);
    expect(chunks.map((chunk) => [chunk[0], chunk[1], chunk[10], chunk[11]])).toEqual([
      [0x1e, 0x0f, 0, 4],
      [0x1e, 0x0f, 1, 4],
      [0x1e, 0x0f, 2, 4],
      [0x1e, 0x0f, 3, 4],
    ]);
    expect(gelfChunks(Buffer.alloc(200 * 1000), 1000)).toEqual([]);
  });
});
