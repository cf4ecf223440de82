import { RecordingLogger } from '@zocalo/workflows';
import { REDACTED, createLogger, isSecretKey, loadConfiguration, redact } from '../src';
import { fixture, memoryDestination } from './helpers';

describe('secrets', () => {
  it('are recognised by key name', () => {
    for (const key of [
      'password',
      'pass',
      '--stomp-pass',
      'rabbit-pass',
      'stompPass',
      'clientSecret',
      'api_key',
      'accessToken',
    ]) {
      expect(isSecretKey(key)).toBe(true);
    }
    for (const key of ['host', 'port', 'username', 'prefix', 'vhost']) expect(isSecretKey(key)).toBe(false);
  });

  it('are replaced at any depth, in URLs, and only in a copy', () => {
    const settings = {
      host: 'localhost',
      password: 'hunter2',
      nested: [{ token: 't0ken', url: 'amqp://guest:guest@localhost:5672/' }],
    };
    expect(redact(settings)).toEqual({
      host: 'localhost',
      password: REDACTED,
      nested: [{ token: REDACTED, url: `amqp://guest:${REDACTED}@localhost:5672/` }],
    });
    expect(settings.password).toBe('hunter2');
    const clean = { host: 'localhost' };
    expect(redact(clean)).toBe(clean);
  });

  it('never reach a log line through a message text or an error (message, stack, cause)', () => {
    const destination = memoryDestination();
    const logger = createLogger({ service: 'test', host: 'ws1', destination, level: 'info' });
    const cause = new Error('GET http://guest:cause-secret@host:15672/api failed');
    logger.error(
      { err: new Error('cannot use http://guest:err-secret@host:15672/api', { cause }) },
      'management API at http://guest:msg-secret@host:15672 did not answer',
    );
    logger.warn('format %s', 'amqp://u:arg-secret@h:5672');
    const output = destination.lines.join('');
    for (const secret of ['cause-secret', 'err-secret', 'msg-secret', 'arg-secret'])
      expect(output).not.toContain(secret);
    const [record] = destination.records();
    expect(record.msg).toBe(`management API at http://guest:${REDACTED}@host:15672 did not answer`);
    // pino's error serializer appends the causes' messages.
    expect((record.err as { message: string }).message).toBe(
      `cannot use http://guest:${REDACTED}@host:15672/api: GET http://guest:${REDACTED}@host:15672/api failed`,
    );
  });

  it('never reach a log line: logging a configuration shows [redacted]', () => {
    const configuration = loadConfiguration({
      file: fixture('site', 'main.yml'),
      environment: 'live',
      logger: new RecordingLogger(),
    });
    const destination = memoryDestination();
    const logger = createLogger({ service: 'test', host: 'ws1', destination, level: 'info' });
    logger.info({ configuration }, 'configuration loaded');
    logger.info({ settings: configuration.transport.settings }, 'settings');
    logger.info(
      { flags: { '--stomp-pass': 'flag-secret' }, deep: { a: { b: { c: { password: 'deep-secret' } } } } },
      'flags',
    );
    logger.child({ transport: { password: 'child-secret' } }).warn('child');
    const output = destination.lines.join('');
    for (const secret of ['rabbit-secret', 'flag-secret', 'deep-secret', 'child-secret'])
      expect(output).not.toContain(secret);
    const [first, second, third, fourth] = destination.records();
    expect(
      (first.configuration as { transport: { settings: { password: string } } }).transport.settings.password,
    ).toBe(REDACTED);
    expect((second.settings as { password: string }).password).toBe(REDACTED);
    expect((third.flags as Record<string, string>)['--stomp-pass']).toBe(REDACTED);
    expect((fourth.transport as { password: string }).password).toBe(REDACTED);
  });
});
