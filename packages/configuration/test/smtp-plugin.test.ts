/**
 * The `smtp` plugin, as python-zocalo's `test_plugin_smtp.py` has it: the block's host, port and from
 * become `configuration.plugins.smtp` once its environment is active; a port that is no whole number,
 * a missing host and a `from` that is no e-mail address are refused.
 */
import { RecordingLogger } from '@zocalo/workflows';
import { ConfigurationError, loadConfiguration } from '../src';

const SAMPLE = `
version: 1

my-smtp:
  plugin: smtp
  host: localhost
  port: 8080
  from: foo@example.com

environments:
  live:
    - my-smtp
`;

const load = (text: string, environment?: string) =>
  loadConfiguration({ text, environment, logger: new RecordingLogger() });

describe('the smtp plugin', () => {
  it('makes the SMTP settings available once the environment is active', () => {
    expect(load(SAMPLE).plugins.smtp).toBeUndefined();
    expect(load(SAMPLE, 'live').plugins.smtp).toEqual({
      host: 'localhost',
      port: 8080,
      from: 'foo@example.com',
    });
  });

  it('reads a port written as text as a number; from is optional', () => {
    const text = SAMPLE.replace('8080', '"25"').replace('  from: foo@example.com\n', '');
    expect(load(text, 'live').plugins.smtp).toEqual({ host: 'localhost', port: 25 });
  });

  it.each([
    ['a port that is no number', SAMPLE.replace('8080', 'banana'), /my-smtp\.port: .*a port number/],
    ['no host', 'version: 1\nfailure:\n  plugin: smtp\n  port: 25\n', /failure.*host/],
    [
      'a from that is no address',
      SAMPLE.replace('foo@example.com', 'Zocalo'),
      /my-smtp\.from: .*an e-mail address/,
    ],
  ])('refuses %s', (_name, text, message) => {
    expect(() => load(text)).toThrow(ConfigurationError);
    expect(() => load(text)).toThrow(message);
  });
});
