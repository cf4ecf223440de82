import type { DlqFile } from '../src';
import {
  advisoryQueue,
  decodeBody,
  encodeBody,
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
});

describe('DLQ message files', () => {
  it('stores UTF-8 bodies as text and other bytes as base64, losslessly', () => {
    expect(encodeBody('{"a":1}')).toEqual({ body: '{"a":1}' });
    expect(encodeBody(Buffer.from('héllo', 'utf8'))).toEqual({ body: 'héllo' });
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    const encoded = encodeBody(bytes);
    expect(encoded).toEqual({ bodyBase64: bytes.toString('base64') });
    const file: DlqFile = {
      version: 1,
      dlq: 'DLQ.q',
      originalQueue: 'q',
      savedAt: '',
      header: {},
      ...encoded,
    };
    expect(decodeBody(file)).toEqual(bytes);
  });

  it('finds the original queue on ActiveMQ and RabbitMQ messages', () => {
    expect(originalQueueOf('DLQ.q', { 'original-destination': '/queue/a.b' })).toBe('a.b');
    expect(originalQueueOf('dlq.q', { 'x-death': [{ queue: 'svc', reason: 'delivery_limit' }] })).toBe('svc');
    expect(originalQueueOf('dlq.q', { 'x-death': '[{"queue":"svc2"}]' })).toBe('svc2');
    expect(originalQueueOf('DLQ.fallback', {})).toBe('fallback');
  });

  it('rejects files that are not message files', () => {
    expect(() => parseDlqFile('{"header": {')).toThrow();
    expect(() => parseDlqFile('[]')).toThrow(/object/);
    expect(() => parseDlqFile('{"header":{},"body":"x"}')).toThrow(/originalQueue/);
    expect(() => parseDlqFile('{"header":{},"originalQueue":"q"}')).toThrow(/body/);
    expect(parseDlqFile('{"header":{},"originalQueue":"q","body":"x"}').originalQueue).toBe('q');
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
        queues: ['a', 'b'],
        idle_timeout: 20,
        scan_interval: 2,
      }),
    ).toEqual({ limit: 3, ignore: ['scratch.*'], queues: ['a', 'b'], idleTimeout: 20, scanInterval: 2 });
    expect(schlockmeisterSettings({})).toEqual({});
    expect(() => schlockmeisterSettings({ limit: 2.5 })).toThrow(/integer/);
    expect(() => schlockmeisterSettings({ scan_interval: 'often' })).toThrow(/positive number/);
    expect(() => schlockmeisterSettings({ ignore: [1] })).toThrow(/strings/);
    expect(() => schlockmeisterSettings({ discover: 'yes' })).toThrow(/true or false/);
  });
});
