import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { RecordingLogger, getDefaultLogger, setDefaultLogger } from '@zocalo/workflows';
import { createLogger, levelFor, loadConfiguration, toPinoLevel } from '../src';
import { memoryDestination } from './helpers';

describe('createLogger', () => {
  it('writes JSON lines with service and host on every record', () => {
    const destination = memoryDestination();
    const logger = createLogger({
      service: 'Dispatcher',
      host: 'ws001',
      destination,
      bindings: { component: 'filters' },
    });
    logger.info({ recipeId: 'abc' }, 'hello');
    logger.child({ recipeId: 'def' }).warn('careful');
    logger.debug('below the level');
    const records = destination.records();
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      level: 30,
      service: 'Dispatcher',
      host: 'ws001',
      pid: process.pid,
      component: 'filters',
      recipeId: 'abc',
      msg: 'hello',
    });
    expect(records[1]).toMatchObject({
      level: 40,
      service: 'Dispatcher',
      host: 'ws001',
      recipeId: 'def',
      msg: 'careful',
    });
    expect(destination.lines.every((line) => line.endsWith('\n'))).toBe(true);
  });

  it('takes Python level names and ZOCALO_LOG_LEVEL', () => {
    expect(createLogger({ service: 's', level: 'WARNING', destination: memoryDestination() }).level).toBe(
      'warn',
    );
    expect(createLogger({ service: 's', level: '10', destination: memoryDestination() }).level).toBe('debug');
    const saved = process.env.ZOCALO_LOG_LEVEL;
    process.env.ZOCALO_LOG_LEVEL = 'error';
    try {
      expect(createLogger({ service: 's', destination: memoryDestination() }).level).toBe('error');
    } finally {
      if (saved === undefined) delete process.env.ZOCALO_LOG_LEVEL;
      else process.env.ZOCALO_LOG_LEVEL = saved;
    }
    expect(() => createLogger({ service: 's', level: 'loud', destination: memoryDestination() })).toThrow(
      'unknown log level "loud"',
    );
    expect(toPinoLevel('CRITICAL')).toBe('fatal');
  });

  it('takes its level from the logging block, its loggers and verbose steps', () => {
    const configuration = loadConfiguration({
      text: [
        'version: 1',
        'log:',
        '  plugin: logging',
        '  root: {level: ERROR}',
        '  loggers:',
        '    zocalo: {level: WARNING}',
        '    zocalo.service: {level: INFO}',
        '  verbose:',
        '    - loggers: {zocalo: {level: INFO}}',
        '    - root: {level: DEBUG}',
        '      loggers: {zocalo: {level: DEBUG}, zocalo.service: {level: DEBUG}}',
        'environments: {default: [log]}',
      ].join('\n'),
      logger: new RecordingLogger(),
    });
    expect(levelFor(configuration.logging)).toBe('warn');
    expect(levelFor(configuration.logging, 'zocalo.service.Dispatcher')).toBe('info');
    expect(levelFor(configuration.logging, 'pika')).toBe('error');
    expect(levelFor(configuration.logging, 'zocalo', 1)).toBe('info');
    expect(levelFor(configuration.logging, 'pika', 2)).toBe('debug');
    expect(configuration.createLogger({ service: 's', destination: memoryDestination() }).level).toBe('warn');
    expect(
      configuration.createLogger({ service: 's', destination: memoryDestination(), name: 'zocalo.service' })
        .level,
    ).toBe('info');
    expect(
      configuration.createLogger({ service: 's', destination: memoryDestination(), level: 'trace' }).level,
    ).toBe('trace');
  });

  it('can become the default logger of @zocalo/workflows', () => {
    const previous = getDefaultLogger();
    try {
      const configuration = loadConfiguration({ env: {}, logger: new RecordingLogger() });
      const logger = configuration.createLogger({
        service: 's',
        destination: memoryDestination(),
        asDefault: true,
      });
      expect(getDefaultLogger()).toBe(logger);
    } finally {
      setDefaultLogger(previous);
    }
  });
});

describe('createLogger with pretty lines', () => {
  // Both builds, as a terminal user's process loads them.
  it.each(['dist/index.js', 'dist/index.cjs'])('writes human-readable lines from %s', (build) => {
    const script = build.endsWith('.cjs')
      ? `const { createLogger } = require(${JSON.stringify(join(__dirname, '..', build))});`
      : `import { createLogger } from ${JSON.stringify(join(__dirname, '..', build))};`;
    const result = spawnSync(
      process.execPath,
      [
        build.endsWith('.cjs') ? '--input-type=commonjs' : '--input-type=module',
        '-e',
        `${script} createLogger({ service: 'Pretty', pretty: true }).info('hello there');`,
      ],
      { encoding: 'utf8', timeout: 20000 },
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('Pretty: hello there');
    expect(result.stderr).not.toContain('"msg"');
  });
});
