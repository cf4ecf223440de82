import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { gunzipSync, inflateSync } from 'node:zlib';
import {
  MemoryBroker,
  MemoryTransport,
  RecordingLogger,
  ServiceRuntime,
  ServiceState,
  defineService,
} from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import { closeLogger, createLogger, gelfChunks, gelfFromRecord, loadConfiguration } from '../src';
import { fixture, memoryDestination } from './helpers';

type Gelf = Record<string, unknown>;

/** A GELF UDP listener on 127.0.0.1 (random port) that reassembles chunks and inflates. */
async function udpListener(): Promise<{
  port: number;
  messages: Gelf[];
  /** Each message's payload as it arrived (compressed or not), by message. */
  payloads: Buffer[];
  next(count?: number): Promise<Gelf[]>;
  close(): void;
}> {
  const socket: UdpSocket = createSocket('udp4');
  const messages: Gelf[] = [];
  const payloads: Buffer[] = [];
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
    // Graylog reads zlib (graypy's) and gzip.
    const text =
      payload[0] === 0x1f && payload[1] === 0x8b
        ? gunzipSync(payload).toString()
        : payload[0] === 0x78
          ? inflateSync(payload).toString()
          : payload.toString();
    payloads.push(payload);
    messages.push(JSON.parse(text) as Gelf);
    waiter?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    messages,
    payloads,
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
      logger.info({ recipe_ID: 'f8a3c2e0-recipe' }, 'processing request');
      logger.child({ recipe_ID: 'another' }).debug('step done');
      const [info, debug] = await listener.next(2);
      expect(info).toMatchObject({
        version: '1.0',
        host: 'ws001.example.com',
        short_message: 'processing request',
        level: 6,
        level_name: 'INFO',
        _workflows_service: 'Dispatcher',
        _recipe_ID: 'f8a3c2e0-recipe',
        _pid: process.pid,
      });
      expect(typeof info.timestamp).toBe('number');
      expect(Math.abs((info.timestamp as number) - Date.now() / 1000)).toBeLessThan(10);
      expect(debug).toMatchObject({ short_message: 'step done', level: 7, _recipe_ID: 'another' });
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
      logger.child({ recipe_ID: 'r-1' }).warn({ queue: 'dlq.x' }, 'poison message');
      logger.error({ err: new Error('callback failed'), recipe_ID: 'r-2' }, 'message released');
      const [warn, error] = await listener.next(2);
      expect(warn).toMatchObject({
        version: '1.0',
        host: 'ws002',
        short_message: 'poison message',
        level: 4,
        _workflows_service: 'Schlockmeister',
        _recipe_ID: 'r-1',
        _queue: 'dlq.x',
      });
      expect(error).toMatchObject({
        short_message: 'message released',
        level: 3,
        level_name: 'ERROR',
        _recipe_ID: 'r-2',
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
        expect(message).toMatchObject({ short_message: 'before the server', _workflows_service: 'late' });
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
      logger.info({ recipe_ID: 'r' }, 'sent');
      const [[viaUdp], [viaTcp]] = await Promise.all([udp.next(), tcp.next()]);
      expect(viaUdp).toMatchObject({
        short_message: 'sent',
        _workflows_service: 'configured',
        _recipe_ID: 'r',
      });
      expect(viaTcp).toMatchObject({
        short_message: 'sent',
        _workflows_service: 'configured',
        _recipe_ID: 'r',
      });
    } finally {
      await Promise.all([closeLogger(logger), closeLogger(verbose)]);
      udp.close();
      await tcp.close();
    }
  });
});

describe('graypy handlers of a logging block', () => {
  it("take graypy's keyword arguments; python-zocalo's factories turn level names on", () => {
    const configuration = loadConfiguration({
      text: [
        'version: 1',
        'logging:',
        '  plugin: logging',
        '  root: {level: INFO, handlers: [zocalo, graypy]}',
        '  handlers:',
        '    zocalo: {(): zocalo.configuration.plugin_logging.GraylogUDPHandler, host: 127.0.0.1, port: 12201}',
        '    graypy:',
        '      class: graypy.GELFTCPHandler',
        '      host: 127.0.0.1',
        '      port: 12202',
        '      facility: beamline',
        '      debugging_fields: false',
        'environments: {default: [logging]}',
      ].join('\n'),
      logger: new RecordingLogger(),
    });
    expect(configuration.graylog).toEqual([
      { protocol: 'UDP', host: '127.0.0.1', port: 12201 },
      {
        protocol: 'TCP',
        host: '127.0.0.1',
        port: 12202,
        levelNames: false,
        debuggingFields: false,
        extraFields: true,
        facility: 'beamline',
      },
    ]);
  });
});

describe('GELF encoding', () => {
  it('maps pino levels to syslog severities as python-zocalo does', () => {
    const level = (pinoLevel: number) => gelfFromRecord({ level: pinoLevel, msg: 'm', time: 0 }, 'h').level;
    expect([10, 20, 30, 40, 50, 60].map(level)).toEqual([7, 7, 6, 4, 3, 2]);
  });

  it('names additional fields as graypy does (the key as it is) and keeps _id free', () => {
    const message = gelfFromRecord(
      {
        level: 30,
        time: 1500,
        msg: 'first line\nsecond',
        id: 7,
        recipe_step: 2,
        messageId: 'm-1',
        'odd key': 1,
        nested: { a: 1 },
        flag: true,
        none: null,
      },
      'h',
    );
    expect(message).toMatchObject({
      // The whole text, as graypy's getMessage(); full_message is for tracebacks only.
      short_message: 'first line\nsecond',
      timestamp: 1.5,
      facility: 'zocalo',
      _id_: 7,
      _recipe_step: 2,
      _messageId: 'm-1',
      _odd_key: 1,
      _nested: '{"a":1}',
      _flag: 'true',
      host: 'h',
    });
    expect(message).not.toHaveProperty('_id');
    expect(message).not.toHaveProperty('_none');
    expect(message).not.toHaveProperty('full_message');
    // The service runtime of @zocalo/workflows binds Python's name `recipe_ID`.
    expect(gelfFromRecord({ level: 30, time: 0, msg: 'm', recipe_ID: 'r' }, 'h')).toMatchObject({
      _recipe_ID: 'r',
    });
  });

  it("follows graypy's handler options", () => {
    const record = { level: 40, time: 0, msg: 'm', pid: 12, logger: 'zocalo.service.x', step: 1 };
    expect(gelfFromRecord(record, 'h')).toMatchObject({
      facility: 'zocalo.service.x',
      level_name: 'WARNING',
      _pid: 12,
      _thread_name: 'MainThread',
      _process_name: 'MainProcess',
      _step: 1,
    });
    const bare = gelfFromRecord(record, 'h', {
      levelNames: false,
      debuggingFields: false,
      extraFields: false,
      facility: 'zocalo',
      localname: 'beamline',
    });
    expect(bare).toEqual({
      version: '1.0',
      host: 'beamline',
      short_message: 'm',
      timestamp: 0,
      level: 4,
      facility: 'zocalo',
      _logger: 'zocalo.service.x',
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

/**
 * The datagram graypy 2.1 sends for one Dispatcher record through python-zocalo's GraylogUDPHandler
 * (fixtures/gelf/README.md says how it was built), against ours for the same record.
 */
describe('GELF as graypy sends it', () => {
  const datagram = readFileSync(fixture('gelf', 'graypy-datagram.bin'));
  const graypyText = inflateSync(datagram).toString('utf8');
  const graypy = JSON.parse(graypyText) as Gelf;
  /** Fields graypy sends that a TypeScript service cannot know (README.md, "GELF fields"). */
  const NOT_SENT = [
    'file', // the call site: pino does not know it, and a stack per record costs too much
    'line',
    '_function',
    '_stack_info', // always null in Python unless stack_info=True; Graylog skips null fields
    '_workflows_status', // the frontend's status at the time of the record
    '_workflows_statustext',
    '_workflows_serviceclass',
    '_workflows_utilization',
    '_workflows_workflows',
  ];
  /** Fields whose value differs for the same record, by design. */
  const OURS = { _process_name: 'MainProcess' }; // no frontend process with a `workflows-service` child
  const expected = (): Gelf => {
    const fields: Gelf = { ...graypy, ...OURS };
    for (const name of NOT_SENT) delete fields[name];
    return fields;
  };

  it('holds a zlib datagram of JSON as Python writes it', () => {
    expect([datagram[0], datagram[1]]).toEqual([0x78, 0x9c]); // zlib.compress, level 6
    expect(readFileSync(fixture('gelf', 'graypy-datagram.json'), 'utf8')).toBe(graypyText);
    // JSON.stringify writes this JSON as Python's json.dumps(separators=",:") did: same bytes.
    expect(JSON.stringify(graypy)).toBe(graypyText);
  });

  it('encodes the same record to the same bytes, less the fields Node cannot know', () => {
    const record = {
      level: 30,
      time: 1764790000123,
      pid: 4711,
      host: 'uk.ac.diamond.ws001.4710',
      service: 'Dispatcher',
      recipe_ID: '5cdb1d5e-6b36-4d23-9d3a-3ab6f4d2e8a1',
      msg: 'Received processing request',
    };
    const ours = gelfFromRecord(record, 'ws001.diamond.ac.uk', { loggerName: 'zocalo.service.dispatcher' });
    expect(JSON.stringify(ours)).toBe(JSON.stringify(expected()));
  });

  it('sends a service runtime record over UDP with graypy field names, types and values', async () => {
    const listener = await udpListener();
    const logger = createLogger({
      service: 'service',
      name: 'zocalo.service.dispatcher',
      host: 'ws001.diamond.ac.uk',
      destination: memoryDestination(),
      graylog: { protocol: 'UDP', host: '127.0.0.1', port: listener.port },
    });
    const broker = new MemoryBroker();
    const service = defineService({
      name: 'Dispatcher',
      initializing: async (ctx) => {
        await ctx.subscribe('processing_recipe', (msg) => msg.logger.info({}, 'Received processing request'));
      },
    });
    const runtime = new ServiceRuntime(service, {
      transport: new MemoryTransport({ broker, logger: new RecordingLogger() }),
      logger,
      hostId: 'uk.ac.diamond.ws001.4710',
      commandTopic: false,
    });
    const client = new MemoryTransport({ broker, logger: new RecordingLogger() });
    try {
      const running = runtime.run();
      await until(() => runtime.state === ServiceState.IDLE, 5000);
      await client.connect();
      await client.send('processing_recipe', {
        recipe: { 1: { service: 'Dispatcher', queue: 'processing_recipe' } },
        'recipe-pointer': 1,
        environment: { ID: graypy._recipe_ID },
        payload: {},
      });
      await until(
        () => listener.messages.some((message) => message.short_message === graypy.short_message),
        5000,
      );
      runtime.stop();
      await running;
      const index = listener.messages.findIndex((message) => message.short_message === graypy.short_message);
      const [payload, ours] = [listener.payloads[index], listener.messages[index]];
      expect([payload[0], payload[1]]).toEqual([0x78, 0x9c]); // zlib, as graypy compresses
      const want = expected();
      // The same names, in the same order.
      expect(Object.keys(ours)).toEqual(Object.keys(want));
      for (const [name, value] of Object.entries(want)) {
        expect([name, typeof ours[name]]).toEqual([name, typeof value]);
      }
      expect(Number.isInteger(ours._pid)).toBe(true);
      expect(Math.abs((ours.timestamp as number) - Date.now() / 1000)).toBeLessThan(30);
      // Every value that does not depend on the moment or the process.
      const { timestamp: _t, _pid: _p, ...fixed } = want;
      expect(ours).toMatchObject(fixed);
    } finally {
      await client.disconnect();
      await closeLogger(logger);
      listener.close();
    }
  });

  it('redacts secrets in what it sends', async () => {
    const listener = await udpListener();
    const logger = createLogger({
      service: 'secretive',
      destination: memoryDestination(),
      graylog: { protocol: 'UDP', host: '127.0.0.1', port: listener.port },
    });
    try {
      logger.error(
        { password: 'hunter2', err: new Error('cannot reach amqp://zocalo:hunter2@broker:5672/') },
        'login to amqp://zocalo:hunter2@broker:5672/ failed',
      );
      const [message] = await listener.next();
      expect(JSON.stringify(message)).not.toContain('hunter2');
      expect(message).toMatchObject({ _password: '[redacted]', level: 3, level_name: 'ERROR' });
    } finally {
      await closeLogger(logger);
      listener.close();
    }
  });
});
