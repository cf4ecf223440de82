import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIni, TransportConfigError } from '@zocalo/workflows';
import {
  AMQP_DEFAULTS,
  amqpOptionsFromSettings,
  brokerAddresses,
  deadLetterHeaders,
  holdingQueueArguments,
  holdingQueueName,
  resolveAmqpOptions,
  shuffledBrokerAddresses,
} from '../src';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { brokerVersion } from '../src/session';

describe('amqp settings', () => {
  it('uses the spec defaults', () => {
    const options = resolveAmqpOptions();
    expect(options.addresses).toEqual([{ host: 'localhost', port: 5672 }]);
    expect(options).toMatchObject({ username: 'guest', password: 'guest', vhost: '/', defaultPrefetch: 1 });
    expect(AMQP_DEFAULTS.port).toBe(5672);
  });

  it('pairs a host list with one port, or one port per host, and shuffles once', () => {
    const fixed = () => 0.99; // no swaps
    expect(shuffledBrokerAddresses('a,b,c', 5672, fixed)).toEqual([
      { host: 'a', port: 5672 },
      { host: 'b', port: 5672 },
      { host: 'c', port: 5672 },
    ]);
    expect(shuffledBrokerAddresses('a, b', '1,2', fixed)).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
    expect(shuffledBrokerAddresses(['a', 'b'], [1, 2], () => 0)).toEqual([
      { host: 'b', port: 2 },
      { host: 'a', port: 1 },
    ]);
    expect(() => shuffledBrokerAddresses('a,b', '1,2,3')).toThrow(TransportConfigError);
    expect(() => shuffledBrokerAddresses('a', 'http')).toThrow(/invalid port "http"/);
    expect(brokerAddresses).toBe(shuffledBrokerAddresses); // the deprecated name
  });

  it('reads --rabbit-* flags, plain names and the [rabbit] INI file (explicit settings win)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zocalo-amqp-'));
    const conf = join(dir, 'rabbit.ini');
    writeFileSync(
      conf,
      '[rabbit]\nhost = filehost\nport: 5673\nusername=fileuser\n; comment\npassword = secret\nvhost = zocalo\n',
    );
    const fromFlags = resolveAmqpOptions(
      amqpOptionsFromSettings({ '--rabbit-conf': conf, '--rabbit-user': 'flaguser' }),
    );
    expect(fromFlags.addresses).toEqual([{ host: 'filehost', port: 5673 }]);
    expect(fromFlags).toMatchObject({ username: 'flaguser', password: 'secret', vhost: 'zocalo' });
    const plain = resolveAmqpOptions(amqpOptionsFromSettings({ host: 'h', port: '5674', vhost: 'v' }));
    expect(plain.addresses).toEqual([{ host: 'h', port: 5674 }]);
    expect(plain.vhost).toBe('v');
    expect(() => resolveAmqpOptions({ conf: join(dir, 'missing.ini') })).toThrow(
      /cannot read configuration file/,
    );
    writeFileSync(conf, '[stomp]\nhost = x\n');
    expect(() => resolveAmqpOptions({ conf })).toThrow(/no \[rabbit\] section/);
  });

  it('parses INI sections and ignores comments', () => {
    expect(parseIni('# c\n[a]\nx = 1\n[b]\ny: two words\n')).toEqual({
      a: { x: '1' },
      b: { y: 'two words' },
    });
  });

  it('rejects bad tuning values with TransportConfigError', () => {
    expect(() => resolveAmqpOptions({ defaultPrefetch: 0 })).toThrow(TransportConfigError);
    expect(() => resolveAmqpOptions({ queueType: 'stream' as 'quorum' })).toThrow(/queueType/);
    expect(() => resolveAmqpOptions({ delayMode: 'later' as 'auto' })).toThrow(/delayMode/);
    expect(() => resolveAmqpOptions({ reconnect: { attempts: 1.5 } })).toThrow(/reconnect.attempts/);
  });

  it('resolves the reconnect option with the shared policy, in milliseconds', () => {
    const { reconnect } = resolveAmqpOptions({ reconnect: { initialDelay: 0.1, maxDelay: 2, attempts: 10 } });
    expect(reconnect).toEqual({ initialDelayMs: 100, maxDelayMs: 2000, attempts: 10 });
    expect(resolveAmqpOptions({ reconnect: false }).reconnect).toBe(false);
    expect(resolveAmqpOptions().heartbeat).toBe(20);
  });
});

describe('delay holding queues', () => {
  it('are named after delay and target', () => {
    expect(holdingQueueName({ kind: 'queue', exchange: '', routingKey: 'q' }, 2000)).toBe(
      'zocalo.delay.2000ms.queue.q',
    );
    expect(holdingQueueName({ kind: 'topic', exchange: 't', routingKey: '' }, 5)).toBe(
      'zocalo.delay.5ms.topic.t',
    );
    expect(holdingQueueName({ kind: 'queue', exchange: 'x', routingKey: 'q' }, 1)).toBe(
      'zocalo.delay.1ms.exchange.x/q',
    );
    const long = holdingQueueName({ kind: 'queue', exchange: '', routingKey: 'q'.repeat(300) }, 1);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
  });

  it('expire into the target, at least once, and clean themselves up', () => {
    expect(holdingQueueArguments({ kind: 'queue', exchange: '', routingKey: 'q' }, 200, 'quorum')).toEqual({
      'x-queue-type': 'quorum',
      'x-message-ttl': 200,
      'x-expires': 200 + 600_000,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'q',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    const topic = holdingQueueArguments({ kind: 'topic', exchange: 't', routingKey: '' }, 5, 'classic');
    expect(topic['x-dead-letter-exchange']).toBe('t');
    expect(topic).not.toHaveProperty('x-dead-letter-routing-key');
    expect(topic).not.toHaveProperty('x-dead-letter-strategy');
  });
});

describe('dead-letter headers', () => {
  function message(headers?: Record<string, unknown>): ConsumeMessage {
    return {
      content: Buffer.from('{}'),
      fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q', consumerTag: '1' },
      properties: { headers, expiration: '5000' } as unknown as ConsumeMessage['properties'],
    };
  }

  it('adds an x-death entry like the broker does, and the x-first-death headers once', () => {
    const headers = deadLetterHeaders(message({ a: 1 }), 'q', 1_700_000_000_000);
    expect(headers.a).toBe(1);
    expect(headers['x-death']).toEqual([
      {
        count: { '!': 'long', value: 1 },
        reason: 'rejected',
        queue: 'q',
        exchange: '',
        'routing-keys': ['q'],
        time: { '!': 'timestamp', value: 1_700_000_000 },
        'original-expiration': '5000',
      },
    ]);
    expect(headers).toMatchObject({
      'x-first-death-queue': 'q',
      'x-first-death-reason': 'rejected',
      'x-first-death-exchange': '',
    });
  });

  it('counts up a matching entry and moves it to the front, keeping others', () => {
    const expired = { count: 1, reason: 'expired', queue: 'hold', exchange: '', 'routing-keys': ['hold'] };
    const rejected = { count: 2, reason: 'rejected', queue: 'q', exchange: '', 'routing-keys': ['q'] };
    const headers = deadLetterHeaders(
      message({ 'x-death': [expired, rejected], 'x-first-death-queue': 'hold' }),
      'q',
    );
    const history = headers['x-death'] as Array<Record<string, unknown>>;
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ reason: 'rejected', count: { '!': 'long', value: 3 } });
    expect(history[1]).toBe(expired);
    expect(headers['x-first-death-queue']).toBe('hold');
  });
});

describe('broker version', () => {
  it('is read from the server properties', () => {
    const model = (version: string | undefined) =>
      ({ connection: { serverProperties: { version } } }) as unknown as ChannelModel;
    expect(brokerVersion(model('3.10.8'))).toEqual([3, 10]);
    expect(brokerVersion(model('4.2.0'))).toEqual([4, 2]);
    expect(brokerVersion(model(undefined))).toEqual([0, 0]);
  });
});
