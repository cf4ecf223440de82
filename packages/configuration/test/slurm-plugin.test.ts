/** python-zocalo's `slurm` plugin (and its `iris` alias): tests/configuration/test_plugin_slurm.py, here. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingLogger } from '@zocalo/workflows';
import { ConfigurationError, configurationPlugins, loadConfiguration, slurmSettings } from '../src';

const sample = `
version: 1

example:
  plugin: slurm
  url: http://example.com
  api_version: v0.0.40

example-with-username-and-token:
  plugin: slurm
  url: http://example.com:1234
  user: admin
  user_token: sometoken
  api_version: v0.0.40

iris-cluster:
  plugin: iris
  url: http://iris.example.com:6820
  user: zocalo
  api_version: v0.0.38

environments:
  live:
    - example
  other:
    - example-with-username-and-token
  both:
    - example
    - iris-cluster
`;

function load(text: string, environment?: string) {
  const logger = new RecordingLogger();
  const configuration = loadConfiguration({ text, environment, logger });
  return { configuration, logger };
}

describe('the slurm configuration plugin', () => {
  it('is known under python-zocalo’s two names, slurm and iris', () => {
    expect(configurationPlugins()).toEqual(expect.arrayContaining(['slurm', 'iris']));
  });

  it('without a user name: url and api_version, nothing before activation', () => {
    expect(slurmSettings(load(sample).configuration)).toBeUndefined();
    const { configuration, logger } = load(sample, 'live');
    expect(slurmSettings(configuration)).toEqual({ url: 'http://example.com', api_version: 'v0.0.40' });
    expect(slurmSettings(configuration)).not.toHaveProperty('user');
    expect(logger.records).toEqual([]);
  });

  it('with a user name and a token', () => {
    const { configuration } = load(sample, 'other');
    expect(slurmSettings(configuration)).toEqual({
      url: 'http://example.com:1234',
      user: 'admin',
      user_token: 'sometoken',
      api_version: 'v0.0.40',
    });
    // Printed or logged, the configuration shows no token.
    expect(JSON.stringify(configuration)).not.toContain('sometoken');
  });

  it('a user_token naming a file is kept as the path (the client reads the file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zocalo-slurm-conf-'));
    try {
      const file = join(dir, 'slurm-user-token');
      writeFileSync(file, 'abcdefg');
      const text = `
version: 1
example:
  plugin: slurm
  url: http://example.com
  api_version: v0.0.40
  user_token: ${file}
environments:
  live:
    - example
`;
      expect(slurmSettings(load(text, 'live').configuration)?.user_token).toBe(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an iris block is zc.iris, beside a slurm block', () => {
    const { configuration } = load(sample, 'both');
    expect(slurmSettings(configuration, 'iris')).toEqual({
      url: 'http://iris.example.com:6820',
      user: 'zocalo',
      api_version: 'v0.0.38',
    });
    expect(slurmSettings(configuration)?.url).toBe('http://example.com');
    expect(configuration.plugins.iris).toBe(slurmSettings(configuration, 'iris'));
  });

  it('a block without url or api_version is refused, naming each missing key', () => {
    const invalid = `
version: 1

invalid-example:
  plugin: slurm
  user: foo

environments:
  live:
    - invalid-example
`;
    let error: unknown;
    try {
      load(invalid, 'live');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems.map((problem) => [problem.key, problem.message]);
    expect(problems).toEqual(
      expect.arrayContaining([
        ['invalid-example.url', '"url" is required here'],
        ['invalid-example.api_version', '"api_version" is required here'],
      ]),
    );
  });

  it('a number where python-zocalo wants a string is refused too', () => {
    const text = `
version: 1
example:
  plugin: iris
  url: http://example.com
  api_version: 38
environments:
  live: [example]
`;
    expect(() => load(text, 'live')).toThrow(
      /example\.api_version: must be a string \(the REST API version, e\.g\. v0\.0\.40\), got 38/,
    );
  });
});
