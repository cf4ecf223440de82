import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingLogger, ZocaloError } from '@zocalo/workflows';
import { ConfigurationError, loadConfiguration } from '../src';
import { fixture } from './helpers';

function failure(load: () => unknown): ConfigurationError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toBeInstanceOf(ZocaloError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

const directories: string[] = [];
afterAll(() => directories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'zocalo-configuration-'));
  directories.push(directory);
  return directory;
}

const load = (file: string, environment?: string) => () =>
  loadConfiguration({ file, environment, logger: new RecordingLogger() });

describe('ConfigurationError', () => {
  it('names the file and line of malformed YAML', () => {
    const error = failure(load(fixture('malformed-yaml.txt')));
    expect(error.file).toBe(fixture('malformed-yaml.txt'));
    expect(error.line).toBe(6);
    expect(error.key).toBe('stomp.host');
    expect(error.message).toContain(`${fixture('malformed-yaml.txt')}:6:3: stomp.host: not valid YAML`);
  });

  it('names the file, line and key of a YAML alias bomb ("billion laughs"), refused at once', () => {
    const directory = temporaryDirectory();
    const file = join(directory, 'site.yml');
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    writeFileSync(
      file,
      'version: 1\nstorage:\n  plugin: storage\n' +
        levels
          .map((name, index) => {
            const item = index === 0 ? '"lol"' : `*${levels[index - 1]}`;
            return `  ${name}: &${name} [${Array.from({ length: 9 }, () => item).join(', ')}]\n`;
          })
          .join(''),
    );
    const started = Date.now();
    const error = failure(load(file));
    expect(Date.now() - started).toBeLessThan(1000);
    // From line 8 (e, aliasing d) on, the expansion passes 1000 references.
    expect(error).toMatchObject({ file, line: 8, column: 10, key: 'storage.e' });
    expect(error.message).toBe(
      `Zocalo configuration: ${file}:8:10: storage.e: not valid YAML: from *d on, aliases expand to more ` +
        'than 1000 references (anchors full of aliases, as in a "billion laughs" file); write the values ' +
        'out, or use fewer aliases',
    );
  });

  it('names the file and line of an alias without its anchor', () => {
    const error = failure(() =>
      loadConfiguration({
        text: 'version: 1\nstorage:\n  plugin: storage\n  x: &x 1\n  other: *nope\n',
        logger: new RecordingLogger(),
      }),
    );
    expect(error).toMatchObject({ line: 5, column: 10, key: 'storage.other' });
    expect(error.message).toContain('not valid YAML: alias *nope names no anchor (&nope) before it');
    // Aliases in moderation still load.
    expect(() =>
      loadConfiguration({
        text: 'version: 1\nstorage:\n  plugin: storage\n  x: &x [1, 2]\n  other: [*x, *x, *x]\n',
        logger: new RecordingLogger(),
      }),
    ).not.toThrow();
  });

  it('names the file, line and key that break the schema, with every problem', () => {
    const error = failure(load(fixture('schema-error.yml')));
    expect(error.problems).toHaveLength(2);
    expect(error.problems[0]).toMatchObject({
      file: fixture('schema-error.yml'),
      line: 6,
      column: 3,
      key: 'stomp-live.port',
    });
    expect(error.problems[0].message).toContain('"sixty-one-thousand"');
    expect(error.problems[1]).toMatchObject({
      line: 8,
      key: 'graylog.protocol',
      message: '"protocol" is required here',
    });
    expect(error.message).toContain(
      `${fixture('schema-error.yml')}:6:3: stomp-live.port: must be a port number (1-65535) or a list of them, got "sixty-one-thousand"`,
    );
  });

  it('detects an include cycle and names the chain', () => {
    const error = failure(load(fixture('cycle-a.yml')));
    expect(error.file).toBe(fixture('cycle-b.yml'));
    expect(error.line).toBe(3);
    expect(error.key).toBe('include.0');
    expect(error.message).toContain(
      `include cycle: ${fixture('cycle-a.yml')} → ${fixture('cycle-b.yml')} → ${fixture('cycle-a.yml')}`,
    );
  });

  it('rejects a version other than 1', () => {
    const error = failure(load(fixture('version-2.yml')));
    expect(error).toMatchObject({ line: 1, key: 'version' });
    expect(error.message).toContain('does not understand v2 configurations');
  });

  it('names an environment that references an undefined block', () => {
    const error = failure(load(fixture('undefined-block.yml')));
    expect(error).toMatchObject({ line: 9, key: 'environments.default.1' });
    expect(error.message).toContain('environment default references undefined plugin no-such-block');
  });

  it('names a configuration file that does not exist', () => {
    const error = failure(load(fixture('no-such-file.yml')));
    expect(error.file).toBe(fixture('no-such-file.yml'));
    expect(error.message).toContain('not found');
  });

  it('names a missing included file at the include that names it', () => {
    const directory = temporaryDirectory();
    const file = join(directory, 'site.yml');
    writeFileSync(file, 'version: 1\ninclude:\n  - missing.yml\n');
    const error = failure(load(file));
    expect(error).toMatchObject({ file, line: 3, key: 'include.0' });
    expect(error.message).toContain(join(directory, 'missing.yml'));
  });

  it('names an include that is a FIFO, a directory or a device at once, instead of waiting on it', () => {
    const directory = temporaryDirectory();
    const fifo = join(directory, 'pipe.yml');
    execFileSync('mkfifo', [fifo]);
    // Should the read block anyway, this writer ends it after 3 s, so the test fails instead of hanging.
    const writer = spawn('sh', ['-c', 'sleep 3; printf "version: 1" > "$0"', fifo], { stdio: 'ignore' });
    try {
      const file = join(directory, 'site.yml');
      writeFileSync(file, `version: 1\ninclude:\n  - pipe.yml\n`);
      const error = failure(load(file));
      expect(error).toMatchObject({ file, line: 3, key: 'include.0' });
      expect(error.message).toBe(
        `Zocalo configuration: ${file}:3:5: include.0: cannot read Zocalo included configuration file: ` +
          `a FIFO (named pipe), not a regular file: ${fifo}`,
      );
      writeFileSync(file, `version: 1\ninclude: ${directory}\n`);
      expect(failure(load(file)).message).toContain(`a directory, not a regular file: ${directory}`);
      writeFileSync(file, 'version: 1\ninclude: /dev/null\n');
      expect(failure(load(file)).message).toContain('a character device, not a regular file: /dev/null');
      expect(failure(load(fifo)).message).toContain('cannot read Zocalo configuration file: a FIFO');
    } finally {
      writer.kill();
    }
  });

  it('checks a block read from its own file when its environment is activated', () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'secret.yml'), 'plugin: stomp\nport: sixty-one\n');
    const file = join(directory, 'site.yml');
    writeFileSync(file, 'version: 1\nstomp-live: secret.yml\nenvironments:\n  live: [stomp-live]\n');
    expect(() => loadConfiguration({ file, logger: new RecordingLogger() })).not.toThrow();
    const error = failure(load(file, 'live'));
    expect(error).toMatchObject({ file: join(directory, 'secret.yml'), line: 2, key: 'port' });
  });

  it('rejects circular environment aliases', () => {
    const error = failure(() =>
      loadConfiguration({
        text: 'version: 1\nenvironments:\n  a: b\n  b: a\n',
        logger: new RecordingLogger(),
      }),
    );
    expect(error.message).toContain('circular environment definitions');
  });
});
