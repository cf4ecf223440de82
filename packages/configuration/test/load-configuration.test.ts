import { RecordingLogger } from '@zocalo/workflows';
import { ConfigurationError, loadConfiguration } from '../src';
import { fixture } from './helpers';

const main = fixture('site', 'main.yml');

describe('loadConfiguration', () => {
  it('reads environments, includes and a block kept in its own file', () => {
    const configuration = loadConfiguration({
      file: main,
      environment: 'live',
      logger: new RecordingLogger(),
    });
    expect(configuration.file).toBe(main);
    expect(configuration.files).toEqual([
      main,
      fixture('site', 'common', 'storage.yml'),
      fixture('site', 'common', 'overrides.yml'),
      fixture('site', 'secrets', 'rabbit-live.yml'),
    ]);
    expect([...configuration.environments].sort()).toEqual(['default', 'live', 'memory', 'test']);
    expect(configuration.activeEnvironments).toEqual(['live']);
    // Groups alphabetically, `plugins` last; the included file's `plugins` list is joined on.
    expect(Object.keys(configuration.blocks)).toEqual([
      'rabbit-live',
      'pick-pika',
      'graylog-live',
      'logging',
      'storage',
    ]);
    expect(configuration.transport).toEqual({
      name: 'amqp',
      settings: {
        host: 'rabbit1.example.com,rabbit2.example.com',
        port: 5672,
        username: 'zocalo',
        password: 'rabbit-secret',
        vhost: 'zocalo',
      },
      reason: 'transport block',
    });
    // overrides.yml (included by common/storage.yml, relative to it) replaced the graylog block.
    expect(configuration.graylog).toEqual([{ protocol: 'TCP', host: 'graylog.example.com', port: 12202 }]);
    expect(configuration.storage).toEqual({ 'zocalo.recipe_directory': '/dls_sw/apps/zocalo/live/recipes' });
    expect(configuration.logging?.level).toBe('warn');
    expect(configuration.logging?.loggers).toEqual({ zocalo: 'info' });
    expect(configuration.plugins.transport).toBe('amqp');
    expect(configuration.warnings).toEqual([]);
  });

  it('activates the default environment (an alias) when none is named', () => {
    const configuration = loadConfiguration({ file: main, logger: new RecordingLogger() });
    expect(configuration.activeEnvironments).toEqual(['default']);
    expect(configuration.transport).toEqual({
      name: 'stomp',
      settings: {
        host: 'localhost',
        port: 61613,
        username: 'admin',
        password: 'stomp-secret',
        prefix: 'zocalo',
      },
      reason: 'only configured transport',
    });
    // The secrets file of rabbit-live is not read when its environment is not active.
    expect(configuration.files).not.toContain(fixture('site', 'secrets', 'rabbit-live.yml'));
  });

  it('finds the file through ZOCALO_CONFIG', () => {
    const configuration = loadConfiguration({
      env: { ZOCALO_CONFIG: main },
      environment: ['memory'],
      logger: new RecordingLogger(),
    });
    expect(configuration.file).toBe(main);
    expect(configuration.transport).toEqual({
      name: 'memory',
      settings: { defaultPrefetch: 2 },
      reason: 'only configured transport',
    });
  });

  it('is empty without a file, and then uses the default transport (stomp, as python-workflows)', () => {
    const configuration = loadConfiguration({ env: {}, logger: new RecordingLogger() });
    expect(configuration.files).toEqual([]);
    expect(configuration.activeEnvironments).toEqual([]);
    expect(configuration.transport).toEqual({ name: 'stomp', settings: {}, reason: 'default' });
  });

  it('takes the transport from ZOCALO_TRANSPORT over the file, and --transport over both', () => {
    const live = { file: main, environment: 'live', logger: new RecordingLogger() };
    // The live environment's transport block picks amqp; the variable (an alias, any case) wins.
    const configuration = loadConfiguration({ ...live, env: { ZOCALO_TRANSPORT: ' STOMP ' } });
    expect(configuration.transport).toEqual({
      name: 'stomp',
      settings: {},
      reason: 'ZOCALO_TRANSPORT',
    });
    expect(loadConfiguration({ ...live, env: { ZOCALO_TRANSPORT: 'pika' } }).transport.reason).toBe(
      'ZOCALO_TRANSPORT',
    );
    expect(loadConfiguration({ ...live, env: { ZOCALO_TRANSPORT: 'pika' } }).transport.name).toBe('amqp');
    const flagged = loadConfiguration({ ...live, env: { ZOCALO_TRANSPORT: 'stomp' } }).withFlags({
      transport: 'memory',
    });
    expect(flagged.transport).toEqual({ name: 'memory', settings: {}, reason: '--transport' });
    // Empty is unset.
    expect(loadConfiguration({ ...live, env: { ZOCALO_TRANSPORT: '' } }).transport.reason).toBe(
      'transport block',
    );
    // Without a file: the variable alone picks it (the example pipeline's ZOCALO_TRANSPORT=amqp).
    expect(loadConfiguration({ env: { ZOCALO_TRANSPORT: 'amqp' } }).transport).toEqual({
      name: 'amqp',
      settings: {},
      reason: 'ZOCALO_TRANSPORT',
    });
  });

  it('activates several environments in order', () => {
    const configuration = loadConfiguration({
      file: main,
      environment: ['test', 'memory'],
      logger: new RecordingLogger(),
    });
    expect(configuration.activeEnvironments).toEqual(['test', 'memory']);
    expect(Object.keys(configuration.transports).sort()).toEqual(['memory', 'stomp']);
    // Two transports and nothing picks one: python-workflows' default.
    expect(configuration.transport.name).toBe('stomp');
    expect(configuration.transport.reason).toBe('default');
  });

  it('names the defined environments when asked for one that is not', () => {
    expect(() =>
      loadConfiguration({ file: main, environment: 'staging', logger: new RecordingLogger() }),
    ).toThrow("environment 'staging' is not defined; defined: default, live, memory, test");
  });

  it('reads YAML text (from_string) and takes the transport from storage zocalo.default_transport', () => {
    const configuration = loadConfiguration({
      text: [
        'version: 1',
        'settings: {plugin: storage, zocalo.default_transport: PikaTransport}',
        'rabbit: {plugin: pika, host: localhost, port: 5672, username: guest, password: guest, vhost: /}',
        'stomp: {plugin: stomp, host: localhost}',
        'environments: {default: [settings, rabbit, stomp]}',
      ].join('\n'),
      logger: new RecordingLogger(),
    });
    expect(configuration.transport.name).toBe('amqp');
    expect(configuration.transport.reason).toBe('storage zocalo.default_transport');
  });

  it('prints a summary like python-zocalo and never shows a secret', () => {
    const configuration = loadConfiguration({
      file: main,
      environment: 'live',
      logger: new RecordingLogger(),
    });
    expect(String(configuration)).toBe(
      "<ZocaloConfiguration containing 4 environments, 5 active plugin configurations, environment 'live' activated, transport amqp>",
    );
    const json = JSON.stringify(configuration);
    expect(json).not.toContain('rabbit-secret');
    expect(json).toContain('"password":"[redacted]"');
  });
});

describe('unknown plugins', () => {
  it('are a warning, logged once, and the block is kept', () => {
    const logger = new RecordingLogger();
    const configuration = loadConfiguration({ file: fixture('unknown-plugin.yml'), logger });
    expect(configuration.warnings).toHaveLength(1);
    expect(configuration.warnings[0]).toMatch(
      /Zocalo configuration plugin 'mimas' missing: block mimas \(.*unknown-plugin\.yml:3\)/,
    );
    expect(logger.at('warn')).toHaveLength(1);
    expect(configuration.blocks.mimas).toEqual({ plugin: 'mimas', url: 'https://mimas.example.com' });
    expect(configuration.plugins.mimas).toEqual({ url: 'https://mimas.example.com' });
    expect(configuration.transport.name).toBe('memory');
  });

  it('are still checked for the mandatory plugin key', () => {
    expect(() =>
      loadConfiguration({ text: 'version: 1\nthing:\n  host: x\n', logger: new RecordingLogger() }),
    ).toThrow(ConfigurationError);
  });
});
