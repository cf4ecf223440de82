import { RecordingLogger } from '@zocalo/workflows';
import { applyFlags, environmentsFromFlags, loadConfiguration, transportFromFlags } from '../src';
import { fixture } from './helpers';

const main = fixture('site', 'main.yml');

describe('command-line flags', () => {
  it('override the settings of the file', () => {
    const file = loadConfiguration({ file: main, environment: 'test', logger: new RecordingLogger() });
    const configuration = applyFlags(file, {
      '--stomp-host': 'broker.example.com',
      '--stomp-port': '61614',
      '--stomp-prfx': '',
    });
    expect(configuration.transport).toEqual({
      name: 'stomp',
      settings: {
        host: 'broker.example.com',
        port: 61614,
        username: 'admin',
        password: 'stomp-secret',
        prefix: '',
      },
      reason: 'only configured transport',
    });
    // The file's configuration is left as it was.
    expect(file.transport.settings.host).toBe('localhost');
  });

  it('pick the transport with --transport, python-workflows class names included', () => {
    const file = loadConfiguration({
      file: main,
      environment: ['test', 'memory'],
      logger: new RecordingLogger(),
    });
    expect(file.withFlags({ transport: 'memory' }).transport).toEqual({
      name: 'memory',
      settings: { defaultPrefetch: 2 },
      reason: '--transport',
    });
    expect(
      file.withFlags({ '--transport': 'PikaTransport', rabbitHost: 'rabbit.example.com' }).transport,
    ).toEqual({
      name: 'amqp',
      settings: { host: 'rabbit.example.com' },
      reason: '--transport',
    });
  });

  it('read --rabbit-conf between the file and the explicit flags', () => {
    const file = loadConfiguration({ file: main, environment: 'live', logger: new RecordingLogger() });
    const configuration = file.withFlags({
      'rabbit-conf': fixture('rabbit.ini'),
      'rabbit-user': 'flag-user',
    });
    expect(configuration.transport.settings).toEqual({
      host: 'ini-rabbit.example.com',
      port: 5673,
      username: 'flag-user',
      password: 'ini-secret',
      vhost: 'ini',
    });
  });

  it('choose environments with -e, --live and --test', () => {
    expect(environmentsFromFlags({ environment: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(environmentsFromFlags({ e: 'a', live: true })).toEqual(['a', 'live']);
    expect(environmentsFromFlags({ '--test': true })).toEqual(['test']);
    expect(environmentsFromFlags({})).toEqual([]);
    expect(transportFromFlags({ t: 'StompTransport' })).toBe('stomp');
    expect(transportFromFlags({})).toBeUndefined();
  });
});
