import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DlqFile } from '../src';
import { MemoryBroker, MemoryTransport } from '@zocalo/workflows';
import {
  DlqFileError,
  createSchlockmeister,
  dlqReinject,
  managementFromSite,
  storageBlock,
  StatisticsUnavailableError,
  activemqDlqCheck,
  advisoryQueue,
  decodeBody,
  decodeDlqBody,
  dlqFileFor,
  encodeBody,
  encodeDlqBody,
  isQuarantineSelector,
  parseAdvisory,
  parseStatistics,
  matchesAny,
  originalQueueOf,
  parseDlqFile,
  reinjectHeaders,
  Schlockmeister,
  schlockmeisterSettings,
} from '../src';
import { RecordingLogger, stompTransport } from './helpers';

describe('queue patterns', () => {
  it('matches * across dots and everything else literally', () => {
    expect(matchesAny('transient.status', ['transient.*'])).toBe(true);
    expect(matchesAny('DLQ.a.b', ['DLQ.*'])).toBe(true);
    expect(matchesAny('DLQxa', ['DLQ.*'])).toBe(false);
    expect(matchesAny('services.x', ['transient.*', 'other'])).toBe(false);
    expect(matchesAny('a+b', ['a+b'])).toBe(true);
  });

  it('Schlockmeister ignores the default and configured patterns', () => {
    const schlockmeister = new Schlockmeister({
      transport: stompTransport(),
      ignore: ['test.*'],
      logger: new RecordingLogger(),
    });
    for (const queue of ['transient.x', 'DLQ.x', 'ActiveMQ.Statistics.Destination.x', 'test.y']) {
      expect(schlockmeister.ignores(queue)).toBe(true);
    }
    expect(schlockmeister.ignores('processing_recipe')).toBe(false);
    const site = new Schlockmeister({
      transport: stompTransport(),
      include: ['zocalo.*'],
      logger: new RecordingLogger(),
    });
    expect(site.ignores('zocalo.a')).toBe(false);
    expect(site.ignores('other.a')).toBe(true);
    expect(site.ignores('transient.zocalo.a')).toBe(true);
    expect(() => new Schlockmeister({ transport: stompTransport(), limit: 0 })).toThrow(RangeError);
  });
});

describe('consumer advisories', () => {
  it('reads the queue from the advisory destination', () => {
    expect(advisoryQueue('/topic/ActiveMQ.Advisory.Consumer.Queue.processing_recipe')).toBe(
      'processing_recipe',
    );
    expect(advisoryQueue('ActiveMQ.Advisory.Consumer.Queue.a.b')).toBe('a.b');
    expect(advisoryQueue('/topic/ActiveMQ.Advisory.Consumer.Topic.x')).toBeUndefined();
    expect(advisoryQueue('/topic/ActiveMQ.Advisory.Consumer.Queue.')).toBeUndefined();
    expect(advisoryQueue(undefined)).toBeUndefined();
  });

  it('reads consumer starts and stops from the JSON body, and tells Schlockmeisters apart', () => {
    const id = { connectionId: 'ID:vm-1', sessionId: -1, value: 1 };
    expect(
      parseAdvisory(JSON.stringify({ ConsumerInfo: { consumerId: id, selector: 'JMSXDeliveryCount>5' } })),
    ).toEqual({ kind: 'consumer-added', consumer: 'ID:vm-1:-1:1', selector: 'JMSXDeliveryCount>5' });
    expect(parseAdvisory(Buffer.from(JSON.stringify({ ConsumerInfo: { consumerId: id } })))).toEqual({
      kind: 'consumer-added',
      consumer: 'ID:vm-1:-1:1',
    });
    expect(parseAdvisory({ RemoveInfo: { objectId: { '@class': 'ConsumerId', ...id } } })).toEqual({
      kind: 'consumer-removed',
      consumer: 'ID:vm-1:-1:1',
    });
    expect(parseAdvisory('<xml/>')).toEqual({ kind: 'unknown' });
    expect(isQuarantineSelector('convert_string_expressions:JMSXDeliveryCount>5')).toBe(true);
    expect(isQuarantineSelector("type = 'a'")).toBe(false);
    expect(isQuarantineSelector(undefined)).toBe(false);
  });
});

describe('statistics plugin replies', () => {
  it('reads the XML and the JSON map message', () => {
    const xml =
      '<map>\n  <entry>\n    <string>size</string>\n    <long>2</long>\n  </entry>\n' +
      '  <entry>\n    <string>destinationName</string>\n    <string>queue://DLQ.a&amp;b</string>\n  </entry>\n' +
      '  <entry>\n    <string>averageEnqueueTime</string>\n    <double>0.5</double>\n  </entry>\n</map>';
    expect(parseStatistics(xml)).toEqual({
      size: 2,
      destinationName: 'queue://DLQ.a&b',
      averageEnqueueTime: 0.5,
    });
    const json = {
      map: {
        entry: [{ string: 'size', long: 3 }, { string: ['destinationName', 'queue://DLQ.x'] }],
      },
    };
    expect(parseStatistics(JSON.stringify(json))).toMatchObject({
      size: 3,
      destinationName: 'queue://DLQ.x',
    });
    expect(() => parseStatistics('<map></map>')).toThrow(/destinationName and size/);
  });

  it('says how to enable the plugin when the broker never answers', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    await transport.connect();
    try {
      const asking = activemqDlqCheck(transport, ['q'], { wait: 0.2 });
      await expect(asking).rejects.toThrow(StatisticsUnavailableError);
      await expect(activemqDlqCheck(transport, undefined, { wait: 0.2 })).rejects.toThrow(
        /enable its statistics plugin \(<statisticsBrokerPlugin\/>/,
      );
    } finally {
      await transport.disconnect();
    }
  });
});

describe('DLQ message files', () => {
  it('stores UTF-8 bodies as text and other bytes as base64, losslessly', () => {
    expect(encodeDlqBody('{"a":1}')).toEqual({ body: '{"a":1}' });
    expect(encodeDlqBody(Buffer.from('héllo', 'utf8'))).toEqual({ body: 'héllo' });
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    const encoded = encodeDlqBody(bytes);
    expect(encoded).toEqual({ bodyBase64: bytes.toString('base64') });
    const file: DlqFile = {
      version: 1,
      dlq: 'DLQ.q',
      originalQueue: 'q',
      savedAt: '',
      header: {},
      ...encoded,
    };
    expect(decodeDlqBody(file)).toEqual(bytes);
    // The old names stay as deprecated aliases.
    expect(encodeBody).toBe(encodeDlqBody);
    expect(decodeBody).toBe(decodeDlqBody);
  });

  it('finds the original queue on ActiveMQ and RabbitMQ messages', () => {
    expect(originalQueueOf('DLQ.q', { 'original-destination': '/queue/a.b' })).toBe('a.b');
    expect(originalQueueOf('dlq.q', { 'x-death': [{ queue: 'svc', reason: 'delivery_limit' }] })).toBe('svc');
    expect(originalQueueOf('dlq.q', { 'x-death': '[{"queue":"svc2"}]' })).toBe('svc2');
    expect(originalQueueOf('DLQ.fallback', {})).toBe('fallback');
  });

  it("writes python-zocalo's fields beside ours", () => {
    const now = new Date(2026, 10, 27, 7, 5, 9);
    const amq = dlqFileFor(
      'DLQ.q',
      { 'message-id': 'ID:1', 'original-destination': '/queue/q' },
      '{"a":1}',
      now,
    );
    expect(amq).toMatchObject({
      dlq: 'DLQ.q',
      originalQueue: 'q',
      body: '{"a":1}',
      message: { a: 1 },
      exported: { date: '2026-11-27', time: '07:05:09' },
    });
    expect(dlqFileFor('DLQ.q', {}, 'not json', now).message).toBe('not json');
    const death = [{ queue: 'svc', reason: 'delivery_limit', count: 1, exchange: '' }];
    const rabbit = dlqFileFor('dlq.svc', { 'x-death': JSON.stringify(death), app: 'x' }, '{}', now);
    expect(rabbit.header).toEqual({
      'x-death': JSON.stringify(death),
      app: 'x',
      headers: { 'x-death': death },
    });
    expect(rabbit.originalQueue).toBe('svc');
  });

  it("reads python-zocalo's files (STOMP and pika headers)", () => {
    const stomp = parseDlqFile(
      JSON.stringify({
        header: { destination: '/queue/DLQ.svc', 'original-destination': '/queue/svc', 'message-id': 'ID:1' },
        message: { payload: 1 },
      }),
    );
    expect(stomp).toMatchObject({ originalQueue: 'svc', dlq: 'DLQ.svc', body: '{"payload": 1}' });
    const pika = parseDlqFile(
      JSON.stringify({
        exported: { date: '2026-11-27', time: '07:00:00' },
        header: { headers: { 'x-death': [{ queue: 'svc', reason: 'rejected' }], app: 'y' }, 'message-id': 5 },
        message: 'plain text',
      }),
    );
    expect(pika).toMatchObject({ originalQueue: 'svc', body: 'plain text', savedAt: '2026-11-27T07:00:00' });
    expect(reinjectHeaders(pika.header)).toEqual({ app: 'y' });
    expect(() => parseDlqFile('{"header": {}, "message": 1}')).toThrow(/no original queue/);
  });

  it('rejects files that are not message files', () => {
    expect(() => parseDlqFile('{"header": {')).toThrow(DlqFileError);
    expect(() => parseDlqFile('{"header": {')).toThrow(/not valid JSON/);
    expect(() => parseDlqFile('[]')).toThrow(/object/);
    expect(() => parseDlqFile('{"header":{},"body":"x"}')).toThrow(/originalQueue/);
    expect(() => parseDlqFile('{"header":{},"originalQueue":"q"}')).toThrow(/body/);
    expect(parseDlqFile('{"header":{},"originalQueue":"q","body":"x"}').originalQueue).toBe('q');
  });

  it('reinject: a FIFO is invalid at once and left in place, and the other files are sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zocalo-reinject-'));
    const broker = new MemoryBroker();
    const transport = new MemoryTransport({ broker, logger: new RecordingLogger() });
    try {
      const fifo = join(dir, 'pipe.json');
      execFileSync('mkfifo', [fifo]);
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ header: {}, originalQueue: 'q', body: '{"n":1}' }));
      await transport.connect();
      const outcomes = await dlqReinject(transport, [fifo, good]);
      expect(outcomes).toEqual([
        { file: fifo, status: 'invalid', error: 'a FIFO (named pipe), not a regular file' },
        { file: good, status: 'sent', queue: 'q' },
      ]);
      expect(existsSync(fifo)).toBe(true);
      expect(broker.stats('q').depth).toBe(1);
    } finally {
      await transport.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a body that is not strict base64, which Buffer would decode to garbage', () => {
    const file = (bodyBase64: string): string =>
      JSON.stringify({ header: {}, originalQueue: 'q', bodyBase64 });
    for (const damaged of ['not base64!', '/w==AA', 'AP8', 'AP9=', 'AP8=\n', ' AP8=', 'AP-_']) {
      expect(() => parseDlqFile(file(damaged))).toThrow(/"bodyBase64" is not valid base64/);
    }
    for (const [text, bytes] of [
      ['', []],
      ['AP8=', [0x00, 0xff]],
      ['AP+A', [0x00, 0xff, 0x80]],
      ['/w==', [0xff]],
    ] as const) {
      expect(decodeDlqBody(parseDlqFile(file(text)))).toEqual(Buffer.from(bytes));
    }
  });

  it('reinject: a file with damaged base64 is invalid and left in place, the others are sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zocalo-reinject-'));
    const broker = new MemoryBroker();
    const transport = new MemoryTransport({ broker, logger: new RecordingLogger() });
    try {
      const damaged = join(dir, 'damaged.json');
      writeFileSync(damaged, JSON.stringify({ header: {}, originalQueue: 'q', bodyBase64: '/w==AA' }));
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ header: {}, originalQueue: 'q', bodyBase64: '/w==' }));
      await transport.connect();
      const got: unknown[] = [];
      await transport.subscribe('q', (_header, message) => void got.push(message), { rawBytes: true });
      const outcomes = await dlqReinject(transport, [damaged, good]);
      expect(outcomes.map(({ file, status }) => [file, status])).toEqual([
        [damaged, 'invalid'],
        [good, 'sent'],
      ]);
      expect(outcomes[0].error).toMatch(/^"bodyBase64" is not valid base64/);
      expect(existsSync(damaged)).toBe(true);
      // Files are kept without `remove`, so nothing awaited after the send: give the delivery a moment.
      for (let wait = 0; wait < 100 && got.length === 0; wait += 1)
        await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual([Buffer.from([0xff])]);
    } finally {
      await transport.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends application headers again, not the broker ones', () => {
    expect(
      reinjectHeaders({
        'message-id': 'ID:1',
        subscription: 3,
        destination: '/queue/DLQ.q',
        'original-destination': '/queue/q',
        redelivered: true,
        'x-death': '[]',
        priority: '4',
        persistent: 'true',
        'zocalo-test': 'yes',
      }),
    ).toEqual({ priority: '4', persistent: 'true', 'zocalo-test': 'yes' });
  });
});

describe('settings from the site configuration', () => {
  it('reads limit, patterns and intervals, keeping defaults for absent keys', () => {
    expect(
      schlockmeisterSettings({
        limit: 3,
        ignore: 'scratch.*',
        include: ['zocalo.*'],
        queues: ['a', 'b'],
        idle_timeout: 20,
        scan_interval: 2,
      }),
    ).toEqual({
      limit: 3,
      ignore: ['scratch.*'],
      include: ['zocalo.*'],
      queues: ['a', 'b'],
      idleTimeout: 20,
      scanInterval: 2,
    });
    expect(schlockmeisterSettings({})).toEqual({});
    expect(() => schlockmeisterSettings({ limit: 2.5 })).toThrow(/integer/);
    expect(() => schlockmeisterSettings({ scan_interval: 'often' })).toThrow(/positive number/);
    expect(() => schlockmeisterSettings({ ignore: [1] })).toThrow(/strings/);
    expect(() => schlockmeisterSettings({ discover: 'yes' })).toThrow(/true or false/);
  });
});

describe('zocalo service Schlockmeister: settings from the site', () => {
  it('reads zocalo.schlockmeister.* storage keys, given as text on the command line', () => {
    expect(
      storageBlock({
        'zocalo.schlockmeister.limit': '3',
        'zocalo.schlockmeister.queues': 'a, b',
        'zocalo.schlockmeister.discover': 'false',
        'zocalo.schlockmeister.idle_timeout': 20,
        'zocalo.recipe_directory': '/r',
      }),
    ).toEqual({ limit: 3, queues: ['a', 'b'], discover: false, idle_timeout: 20 });
    expect(() => createSchlockmeister({ storage: { 'zocalo.schlockmeister.limit': 'many' } })).toThrow(
      /limit must be a positive number/,
    );
    expect(() => createSchlockmeister({ storage: { 'zocalo.schlockmeister.dry_run': 'maybe' } })).toThrow(
      /dry_run must be true or false/,
    );
    expect(createSchlockmeister({ storage: {} }).name).toBe('Schlockmeister');
  });

  it('finds the management API in a rabbitmqapi block, else beside the AMQP host', () => {
    expect(
      managementFromSite(
        { api: { plugin: 'rabbitmqapi', base_url: 'http://mq:15672/api/', username: 'u', password: 'p' } },
        { host: 'ignored' },
      ),
    ).toEqual({ url: 'http://mq:15672', username: 'u', password: 'p', vhost: undefined });
    expect(
      managementFromSite({}, { host: 'a.example, b.example', username: 'zocalo', password: 's', vhost: 'v' }),
    ).toEqual({ url: 'http://a.example:15672', username: 'zocalo', password: 's', vhost: 'v' });
  });
});
