/**
 * A third-party transport that an installed package declares only by its descriptor (a
 * `workflows.transport` entry point): the command line lists it, takes its flags and uses it.
 */
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_DIR, FIXTURES, tempDirectory, zocalo } from './helpers';

const WORKFLOWS = pathToFileURL(
  realpathSync(join(CLI_DIR, 'node_modules', '@zocalo', 'workflows', 'dist', 'index.js')),
).href;

/** A project with `@birds/transport-pigeon` installed; the transport logs the settings it is made with. */
function project(): { dir: string; log: string } {
  const dir = tempDirectory({ 'package.json': { name: 'bird-site', private: true } });
  const pkg = join(dir, 'node_modules', '@birds', 'transport-pigeon');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({
      name: '@birds/transport-pigeon',
      type: 'module',
      zocalo: { 'workflows.transport': { pigeon: './descriptor.js:descriptor' } },
    }),
  );
  const log = join(dir, 'made.jsonl');
  writeFileSync(
    join(pkg, 'descriptor.js'),
    `import { appendFileSync } from 'node:fs';
import { MemoryTransport } from ${JSON.stringify(WORKFLOWS)};
export const descriptor = {
  name: 'pigeon',
  aliases: ['carrier'],
  description: 'messages by bird',
  create({ logger, ...settings }) {
    appendFileSync(${JSON.stringify(log)}, JSON.stringify(settings) + '\\n');
    return new MemoryTransport();
  },
  settings: [{ key: 'host', type: 'string', flag: 'pigeon-host', placeholder: 'loft', help: 'the loft to fly to', ini: true }],
  iniFile: { flag: 'pigeon-conf', section: 'loft' },
};
`,
  );
  writeFileSync(join(dir, 'loft.ini'), '[loft]\nhost = ini-loft\n');
  return { dir, log };
}

describe('a transport declared by an installed package’s descriptor', () => {
  it('is listed among the transports of the broker commands, with its flags in zocalo help transport-options', async () => {
    const { dir } = project();
    const go = await zocalo(['go', '--help'], { cwd: dir });
    expect(go.stderr).toBe('');
    // Commander wraps the help: compare with the white space of a line.
    expect(go.stdout.replace(/\s+/g, ' ')).toContain(
      '-t, --transport <name> transport: memory, stomp, amqp (pika, rabbitmq), pigeon (carrier) (default:',
    );
    expect(go.stdout).toContain(
      'Broker options (--stomp-*, --rabbit-*, --pigeon-*): zocalo help transport-options',
    );
    const help = await zocalo(['help', 'transport-options'], { cwd: dir });
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/--pigeon-host <loft>\s+the loft to fly to/);
    expect(help.stdout).toMatch(/--pigeon-conf <file>\s+INI file with a \[loft\] section/);
    // python-workflows' flags still come from their transports' descriptors.
    expect(help.stdout).toMatch(/--stomp-prfx <prefix>\s+prefix of every queue and topic name/);
    expect(help.stdout).toMatch(/--rabbit-conf <file>\s+INI file with a \[rabbit\] section/);
  });

  it('is used by name or alias, with its flags and INI file', async () => {
    const { dir, log } = project();
    const recipes = join(FIXTURES, 'recipes');
    const byAlias = await zocalo(
      ['go', 'double', '--recipe-dir', recipes, '-t', 'carrier', '--pigeon-host', 'hq'],
      {
        cwd: dir,
      },
    );
    expect(byAlias.stderr).toBe('');
    expect(byAlias.code).toBe(0);
    const byIni = await zocalo(
      [
        'go',
        'double',
        '--recipe-dir',
        recipes,
        '-t',
        'PigeonTransport',
        '--pigeon-conf',
        join(dir, 'loft.ini'),
      ],
      { cwd: dir },
    );
    expect(byIni.code).toBe(0);
    const made = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(made).toEqual([{ host: 'hq' }, { host: 'ini-loft' }]);
  });

  it('is among the known transports an unknown name is told of, and has no dead-letter tools', async () => {
    const { dir } = project();
    const unknown = await zocalo(['go', 'double', '-t', 'owl'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/known: memory, stomp, amqp \(pika, rabbitmq\), pigeon \(carrier\)/);
    const dlq = await zocalo(['dlq', 'check', '-t', 'pigeon'], { cwd: dir });
    expect(dlq.code).toBe(2);
    expect(dlq.stderr).toMatch(
      /the pigeon transport has no dead-letter queues to work on: choose a broker with -t stomp or -t amqp/,
    );
  });

  it('that cannot be loaded is a warning, not a failure of every command', async () => {
    const { dir } = project();
    writeFileSync(
      join(dir, 'node_modules', '@birds', 'transport-pigeon', 'descriptor.js'),
      'export const descriptor = 1;\n',
    );
    const help = await zocalo(['go', '--help'], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stderr).toMatch(/warning: transport pigeon of @birds\/transport-pigeon is not usable/);
  });
});
