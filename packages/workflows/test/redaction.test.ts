import { REDACTED, redactCredentials, splitUrlCredentials } from '../src';

describe('redaction, the one rule for every output', () => {
  test('redactCredentials hides the password of every URL in a text, and nothing else', () => {
    expect(
      redactCredentials('fetch http://guest:s3cr%40t@127.0.0.1:15672/api and amqp://u:p@h:5672/vh failed'),
    ).toBe(`fetch http://guest:${REDACTED}@127.0.0.1:15672/api and amqp://u:${REDACTED}@h:5672/vh failed`);
    expect(redactCredentials('mail user@example.com at http://host:80/path')).toBe(
      'mail user@example.com at http://host:80/path',
    );
  });

  test('splitUrlCredentials takes user info out of a URL, decoded, and keeps the rest as written', () => {
    expect(splitUrlCredentials('http://guest:s3cr%40t@127.0.0.1:15672')).toEqual({
      url: 'http://127.0.0.1:15672',
      username: 'guest',
      password: 's3cr@t',
    });
    expect(splitUrlCredentials('http://admin:pw@host:8161/api/jolokia/')).toEqual({
      url: 'http://host:8161/api/jolokia/',
      username: 'admin',
      password: 'pw',
    });
    expect(splitUrlCredentials('http://only-user@host/')).toEqual({
      url: 'http://host/',
      username: 'only-user',
    });
    expect(splitUrlCredentials('http://host:15672')).toEqual({ url: 'http://host:15672' });
    expect(splitUrlCredentials('not a url')).toEqual({ url: 'not a url' });
  });
});
