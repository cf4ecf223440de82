/** A third-party transport registered only through its descriptor: site files, flags and INI files. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransportDescriptor, TransportSettings } from '@zocalo/workflows';
import { MemoryTransport, RecordingLogger, registerTransport } from '@zocalo/workflows';
import {
  ConfigurationError,
  RABBIT_FLAGS,
  STOMP_FLAGS,
  canonicalTransportName,
  configurationPlugins,
  knownTransport,
  loadConfiguration,
  transportFlagSettings,
} from '../src';

const made: TransportSettings[] = [];

const pigeon: TransportDescriptor = {
  name: 'pigeon',
  aliases: ['carrier'],
  create(settings) {
    made.push(settings);
    return new MemoryTransport();
  },
  settings: [
    { key: 'host', type: 'string', flag: 'pigeon-host', help: 'the loft', ini: true },
    { key: 'port', type: 'port', flag: 'pigeon-port', ini: true },
    { key: 'password', type: 'text', flag: 'pigeon-pass', ini: true },
    { key: 'flock', type: 'count' },
  ],
  iniFile: { flag: 'pigeon-conf', section: 'loft' },
  configurationSchema: { ring: { type: 'string', pattern: '^[A-Z]+$' } },
};

function site(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zocalo-pigeon-'));
  writeFileSync(join(dir, 'site.yml'), text);
  writeFileSync(join(dir, 'loft.ini'), '[loft]\nhost = ini-loft\nport = 1234\npassword = ini-secret\n');
  return dir;
}

beforeAll(() => registerTransport(pigeon));

describe('a transport registered by its descriptor', () => {
  it('is a configuration plugin by its name and aliases, checked by the schema of its settings', () => {
    expect(configurationPlugins()).toEqual(expect.arrayContaining(['pigeon', 'carrier', 'stomp', 'pika']));
    const dir = site(
      'version: 1\nbirds:\n  plugin: carrier\n  host: loft\n  port: "99"\n  password: 1234\n  flock: 3\n' +
        'choice:\n  plugin: transport\n  default: PigeonTransport\nenvironments:\n  default: [birds, choice]\n',
    );
    const configuration = loadConfiguration({ file: join(dir, 'site.yml'), logger: new RecordingLogger() });
    expect(configuration.transport).toEqual({
      name: 'pigeon',
      settings: { host: 'loft', port: 99, password: '1234', flock: 3 },
      reason: 'transport block',
    });
    expect(configuration.warnings).toEqual([]);
  });

  it('refuses a block whose settings have the wrong type, naming the key', () => {
    const dir = site(
      'version: 1\nbirds:\n  plugin: pigeon\n  port: many\n  flock: 0\n  ring: lower\nenvironments:\n  default: [birds]\n',
    );
    let error: unknown;
    try {
      loadConfiguration({ file: join(dir, 'site.yml'), logger: new RecordingLogger() });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toMatch(/birds\.port: must be a port number \(1-65535\), got "many"/);
    expect(message).toMatch(/birds\.flock/);
    expect(message).toMatch(/birds\.ring/);
  });

  it('takes its flags and INI file: file < INI section < explicit flags', async () => {
    const dir = site(
      'version: 1\nbirds:\n  plugin: pigeon\n  host: file-loft\nenvironments:\n  default: [birds]\n',
    );
    const configuration = loadConfiguration({ file: join(dir, 'site.yml'), logger: new RecordingLogger() });
    const flagged = configuration.withFlags({
      '--pigeon-conf': join(dir, 'loft.ini'),
      pigeonPass: 'flag-secret',
      transport: 'carrier',
    });
    expect(flagged.transport).toEqual({
      name: 'pigeon',
      settings: { host: 'ini-loft', port: 1234, password: 'flag-secret' },
      reason: '--transport',
    });
    made.length = 0;
    await flagged.createTransport({ extra: true });
    expect(made).toEqual([{ host: 'ini-loft', port: 1234, password: 'flag-secret', extra: true }]);
    expect(() => configuration.withFlags({ 'pigeon-conf': join(dir, 'missing.ini') })).toThrow(
      /--pigeon-conf/,
    );
    expect(transportFlagSettings('carrier')).toEqual({
      'pigeon-host': 'host',
      'pigeon-port': 'port',
      'pigeon-pass': 'password',
    });
  });

  it('knows python-workflows’ transports from their descriptors', () => {
    expect(canonicalTransportName('PikaTransport')).toBe('amqp');
    expect(canonicalTransportName('rabbitmq')).toBe('amqp');
    expect(canonicalTransportName('StompTransport')).toBe('stomp');
    expect(knownTransport('pika')?.iniFile).toEqual({ flag: 'rabbit-conf', section: 'rabbit' });
    expect(STOMP_FLAGS).toEqual({
      'stomp-host': 'host',
      'stomp-port': 'port',
      'stomp-user': 'username',
      'stomp-pass': 'password',
      'stomp-prfx': 'prefix',
    });
    expect(RABBIT_FLAGS['rabbit-vhost']).toBe('vhost');
  });
});

describe('host and port lists of the built-in transports', () => {
  it('takes a failover pair in a stomp block, as a pika block takes a cluster, and refuses a bad port in it', () => {
    const configuration = loadConfiguration({
      text:
        'version: 1\namq:\n  plugin: stomp\n  host: amq1,amq2\n  port: 61701,61702\n' +
        'rabbit:\n  plugin: pika\n  host: [r1, r2, r3]\n  port: [5701, 5702, 5703]\n' +
        'environments:\n  default: [amq, rabbit]\n',
      logger: new RecordingLogger(),
    });
    expect(configuration.transports.stomp).toMatchObject({ host: 'amq1,amq2', port: '61701,61702' });
    expect(configuration.transports.pika ?? configuration.transports.amqp).toMatchObject({
      port: [5701, 5702, 5703],
    });
    expect(() =>
      loadConfiguration({
        text: 'version: 1\namq:\n  plugin: stomp\n  port: 61701,sixty\nenvironments:\n  default: [amq]\n',
        logger: new RecordingLogger(),
      }),
    ).toThrow(/amq\.port: must be a port number \(1-65535\) or a list of them, got "61701,sixty"/);
  });
});
