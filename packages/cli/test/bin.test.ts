/**
 * The built `zocalo` bin, run as a child process: help on every command, exit codes, one-line
 * messages on bad input, and the commands that need no broker shared with another process.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES, UUID, startZocalo, tempDirectory, zocalo } from './helpers';

const RECIPES = join(FIXTURES, 'recipes');

/** stderr is exactly one line. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('zocalo --help', () => {
  it.each([
    [[], 'Usage: zocalo [options] [command]'],
    [['go'], 'Usage: zocalo go [options] [recipes...]'],
    [['service'], 'Usage: zocalo service [options] [name]'],
    [['wrap'], 'Usage: zocalo wrap [options] [args...]'],
    [['shutdown'], 'Usage: zocalo shutdown [options] [hosts...]'],
    [['status'], 'Usage: zocalo status [options]'],
    [['recipe'], 'Usage: zocalo recipe [options] [command]'],
    [['recipe', 'validate'], 'Usage: zocalo recipe validate [options] <files...>'],
    [['recipe', 'graph'], 'Usage: zocalo recipe graph [options] <file>'],
  ])('zocalo %j --help prints its usage and exits 0', async (command, usage) => {
    const result = await zocalo([...command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(usage)).toBe(true);
    expect(result.stderr).toBe('');
  });

  it('lists the site options on broker commands, and the transport options in their help topic', async () => {
    const result = await zocalo(['go', '--help']);
    for (const flag of ['--transport', '--test', '--live', '--environment', '--config']) {
      expect(result.stdout).toContain(flag);
    }
    // Accepted, but listed once, by `zocalo help transport-options`: not in every command's help.
    expect(result.stdout).not.toContain('--stomp-host');
    expect(result.stdout).toContain('Broker options (--stomp-*, --rabbit-*): zocalo help transport-options');
    expect(result.stdout).toMatch(/\nExamples:\n {2}\$ zocalo go /);
    const topic = await zocalo(['help', 'transport-options']);
    expect(topic.code).toBe(0);
    for (const flag of ['--stomp-host', '--stomp-conf', '--rabbit-vhost', '--rabbit-conf']) {
      expect(topic.stdout).toContain(flag);
    }
    expect(topic.stdout).toContain('ActiveMQ over STOMP (-t stomp):');
  });

  it('prints the version', async () => {
    const result = await zocalo(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('bad input: a one-line message and a non-zero exit', () => {
  it.each<[string, string[], number, string | RegExp, Record<string, string>?]>([
    ['no recipe', ['go', '-t', 'memory'], 2, 'zocalo go: No recipes specified.'],
    [
      'bad parameter syntax',
      ['go', 'double', '-p', 'value'],
      2,
      "zocalo go: Invalid variable specification 'value': expected KEY=VALUE",
    ],
    [
      'bad typed parameter',
      ['go', 'double', '-p', 'n:=[1'],
      2,
      "zocalo go: Invalid variable specification 'n:=[1': the value after := must be JSON",
    ],
    [
      'unknown recipe',
      ['go', 'nope', '--recipe-dir', RECIPES, '-t', 'memory'],
      2,
      `zocalo go: unknown recipe "nope": there is no nope.json in ${RECIPES}`,
    ],
    [
      'invalid recipe file',
      ['go', '-f', join(FIXTURES, 'invalid-recipe.json'), '-t', 'memory'],
      2,
      `zocalo go: recipe file ${join(FIXTURES, 'invalid-recipe.json')}: Invalid recipe: Node "3" is referenced via "['start', 1, 2]" but missing`,
    ],
    [
      'missing recipe file',
      ['go', '-f', 'no-such.json'],
      2,
      'zocalo go: cannot read recipe file no-such.json: ENOENT',
    ],
    [
      'unreachable broker',
      ['go', 'double', '-t', 'amqp', '--rabbit-host', '127.0.0.1', '--rabbit-port', '1'],
      1,
      /^zocalo go: cannot connect to the amqp broker: .*ECONNREFUSED/,
    ],
    [
      'unknown transport',
      ['go', 'double', '-t', 'carrier-pigeon'],
      2,
      /^zocalo go: unknown transport "carrier-pigeon": no installed package provides it/,
    ],
    ['unknown option', ['go', '--frobnicate'], 2, "error: unknown option '--frobnicate'"],
    ['unknown command', ['frobnicate'], 2, "error: unknown command 'frobnicate'"],
    [
      'unknown service',
      ['service', 'Nope', '-t', 'memory'],
      2,
      /^zocalo service: unknown service "Nope": known services are Dispatcher, (\w+, )*JSONLines, Mailer, Schlockmeister, WrapperService \(zocalo service --list\)/,
    ],
    ['no service name', ['service'], 2, /^zocalo service: Give the name of a service/],
    [
      'missing service module',
      ['service', './missing.js'],
      2,
      /^zocalo service: service module \.\/missing\.js not found/,
    ],
    [
      'nothing to shut down',
      ['shutdown', '-t', 'memory'],
      2,
      /^zocalo shutdown: Need to specify one or more services/,
    ],
    [
      'wrap without a wrapper',
      ['wrap', '-t', 'memory'],
      2,
      'zocalo wrap: A wrapper must be specified: --wrap NAME (zocalo wrap --list shows them), or --wrap PROGRAM.',
    ],
    [
      'wrap with a missing recipe wrapper file',
      ['wrap', '--wrap', 'true', '--recipe-wrapper', 'nope.json', '-t', 'memory'],
      2,
      'zocalo wrap: cannot read recipe wrapper file nope.json: ENOENT',
    ],
    [
      'a broken site configuration',
      ['go', 'double'],
      2,
      /^zocalo go: Zocalo configuration: .*broken-site\.txt/,
      { ZOCALO_CONFIG: join(FIXTURES, 'broken-site.txt') },
    ],
    [
      'a YAML alias bomb in the site file',
      ['go', 'double'],
      2,
      /^zocalo go: Zocalo configuration: .*alias-bomb-site\.yml:9:10: storage\.e: not valid YAML: from \*d on, aliases expand to more than 1000 references/,
      { ZOCALO_CONFIG: join(FIXTURES, 'alias-bomb-site.yml') },
    ],
    [
      'an environment the site does not define',
      ['go', 'double', '--test'],
      2,
      /^zocalo go: Zocalo configuration: .*site\.yml: environments: environment 'test' is not defined; defined: default, memory$/,
      { ZOCALO_CONFIG: join(FIXTURES, 'site.yml') },
    ],
  ])('%s', async (...[_case, args, code, message, env]) => {
    const result = await zocalo(args, { env });
    expect(result.code).toBe(code);
    const line = oneLine(result.stderr);
    if (typeof message === 'string') expect(line).toBe(message);
    else expect(line).toMatch(message);
  });
});

describe('files that are not regular files: refused at once, not waited on', () => {
  it('a FIFO, a directory or a device named as a recipe, recipe wrapper, site include, INI or RabbitMQ file', async () => {
    const dir = tempDirectory({ 'site.yml': 'version: 1\ninclude: pipe.json\n' });
    const fifo = join(dir, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    const fifoIs = 'a FIFO (named pipe), not a regular file';
    const cases: Array<[string[], string, Record<string, string>?]> = [
      [['recipe', 'validate', fifo], `zocalo recipe validate: cannot read ${fifo}: ${fifoIs}`],
      [
        ['recipe', 'validate', dir],
        `zocalo recipe validate: cannot read ${dir}: a directory, not a regular file`,
      ],
      [
        ['recipe', 'graph', '/dev/null'],
        'zocalo recipe graph: cannot read /dev/null: a character device, not a regular file',
      ],
      [['go', '-f', fifo, '-t', 'memory'], `zocalo go: cannot read recipe file ${fifo}: ${fifoIs}`],
      [
        ['go', 'pipe', '--recipe-dir', dir, '-t', 'memory'],
        `zocalo go: cannot read recipe pipe (${fifo}): ${fifoIs}`,
      ],
      [
        ['wrap', '--wrap', 'true', '--recipe-wrapper', fifo, '-t', 'memory'],
        `zocalo wrap: cannot read recipe wrapper file ${fifo}: ${fifoIs}`,
      ],
      [['rabbitmq', 'configure', fifo], `zocalo rabbitmq configure: cannot read ${fifo}: ${fifoIs}`],
      [
        ['go', 'double', '-t', 'stomp', '--stomp-conf', fifo],
        `zocalo go: Zocalo configuration: ${fifo}: --stomp-conf: cannot read configuration file ${fifo} (${fifoIs}); check the path`,
      ],
      [
        ['go', 'double'],
        `zocalo go: Zocalo configuration: ${join(dir, 'site.yml')}:2:1: include: cannot read Zocalo included configuration file: ${fifoIs}: ${fifo}`,
        { ZOCALO_CONFIG: join(dir, 'site.yml') },
      ],
    ];
    // At once: a read that waited on the FIFO would be killed after 10 s, and fail here.
    const results = await Promise.all(cases.map(([args, , env]) => zocalo(args, { env, timeout: 10_000 })));
    results.forEach((result, index) => {
      expect({ args: cases[index][0], code: result.code, stderr: result.stderr.trim() }).toEqual({
        args: cases[index][0],
        code: 2,
        stderr: cases[index][1],
      });
    });
  });

  it('zocalo pickup skips a FIFO in its directory with a warning and sends the rest', async () => {
    const dir = tempDirectory({
      'request.json': { headers: { 'zocalo.go.host': 'ws001' }, message: { recipes: ['double'] } },
    });
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const result = await zocalo(['pickup', '--dir', dir, '--dry-run', '-t', 'memory'], { timeout: 10_000 });
    expect(result).toMatchObject({
      code: 0,
      stderr: `zocalo pickup: skipping ${join(dir, 'pipe')}: it is a FIFO (named pipe), not a regular file\n`,
      stdout:
        'Found 2 files\n' +
        `Would send ${join(dir, 'request.json')} from host ws001 with recipes double\n` +
        'would send 1 request to processing_recipe; 1 not a regular file, skipped\n',
    });
  });
});

describe('zocalo go', () => {
  it('sends the request and prints the recipes and the recipe ID', async () => {
    const result = await zocalo(['go', 'double', '-p', 'value=21', '-t', 'memory', '--recipe-dir', RECIPES]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe("Running recipes ['double']");
    expect(lines[1]).toMatch(/^Submitted\. Recipe ID: /);
    expect(lines[1].slice('Submitted. Recipe ID: '.length)).toMatch(UUID);
  });

  it('prints only the recipe ID with --quiet, and keeps a guid given as a parameter', async () => {
    const result = await zocalo(['go', 'double', '-p', 'guid=my-own-id', '-q', '-t', 'memory']);
    expect(result).toMatchObject({ code: 0, stdout: 'my-own-id\n', announced: [] });
    expect(result.stderr).toMatch(/^zocalo go: warning: the memory transport lives in this process only/);
  });

  it('prints the request python-zocalo would send with --dry-run, and sends nothing', async () => {
    const result = await zocalo([
      'go',
      '-r',
      'double',
      '-s',
      'value=21',
      '-p',
      'factor:=3',
      '--dcid',
      '527189',
      '-f',
      join(RECIPES, 'double.json'),
      '--dry-run',
      '-t',
      'amqp',
      '--rabbit-port',
      '1',
    ]);
    expect(result.code).toBe(0);
    const json = result.stdout.slice(result.stdout.indexOf('{'), result.stdout.lastIndexOf('}') + 1);
    const request = JSON.parse(json) as Record<string, unknown>;
    expect(Object.keys(request)).toEqual(['recipes', 'parameters', 'custom_recipe']);
    expect(request.recipes).toEqual(['double']);
    expect(request.parameters).toEqual({
      value: '21',
      factor: 3,
      ispyb_dcid: 527189,
      guid: expect.stringMatching(UUID),
    });
    expect((request.custom_recipe as Record<string, unknown>)['1']).toMatchObject({
      queue: '{prefix}.double',
    });
    expect(result.stdout).toContain('Running recipe from file');
    expect(result.stdout).toContain('Not sending message (running with --dry-run)');
    expect(result.stdout).not.toContain('Submitted.');
    expect(result.stdout).toMatch(/^Not submitted \(--dry-run\)\. Recipe ID would be: [0-9a-f-]{36}$/m);
  });

  it('takes the transport from the site configuration', async () => {
    const result = await zocalo(['go', 'double', '-q'], {
      env: { ZOCALO_CONFIG: join(FIXTURES, 'site.yml') },
    });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(UUID);
  });

  it('writes the request to the fallback location with --drop', async () => {
    const fallback = tempDirectory();
    const site = tempDirectory({
      'site.yml': `version: 1\nmem:\n  plugin: memory\nstorage:\n  plugin: storage\n  zocalo.go.fallback_location: ${fallback}\nenvironments:\n  default: [mem, storage]\n`,
    });
    const result = await zocalo(['go', 'double', '--drop'], {
      env: { ZOCALO_CONFIG: join(site, 'site.yml') },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`Message successfully stored in ${fallback}/[0-9a-f-]{36}`));
  });
});

describe('zocalo service', () => {
  it('lists the services of installed packages', async () => {
    const result = await zocalo(['service', '--list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Dispatcher +@zocalo\/dispatcher$/m);
    expect(result.stdout).toMatch(/^Schlockmeister +@zocalo\/schlockmeister$/m);
    expect(result.stdout).toMatch(/^WrapperService +@zocalo\/wrapper$/m);
    expect(result.stdout).toMatch(/^Mailer +@zocalo\/mailer$/m);
    expect(result.stdout).toMatch(/^JSONLines +@zocalo\/jsonlines$/m);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('runs the Dispatcher and exits 0 after %s', async (signal) => {
    const service = startZocalo([
      'service',
      'Dispatcher',
      '-t',
      'memory',
      '-s',
      `zocalo.recipe_directory=${RECIPES}`,
    ]);
    await service.waitFor(/"msg":"service started"/);
    expect(service.output()).toContain('"msg":"Dispatcher starting"');
    service.child.kill(signal);
    const finished = await service.exited;
    expect(finished.code).toBe(0);
    expect(finished.stderr).toContain(`"msg":"shutting down: received ${signal}"`);
    expect(finished.stderr).toContain('"msg":"service ended"');
  });

  it('runs a service from a module path (a factory given the site storage)', async () => {
    const service = startZocalo([
      'service',
      './test/fixtures/example-services.mjs',
      '-t',
      'memory',
      '-s',
      'example.prefix=x',
    ]);
    await service.waitFor(/"serviceclass":"ExampleDoubler","msg":"service started"/);
    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
  });

  it('runs a TypeScript service file through tsx', async () => {
    const service = startZocalo(['service', './test/fixtures/typescript-service.ts', '-t', 'memory']);
    await service.waitFor(/a TypeScript service is initializing/);
    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
  });

  it('gives the service the output limits of --max-outputs-per-message and --max-output-bytes-per-message', async () => {
    const service = startZocalo([
      'service',
      './test/fixtures/output-budget-service.mjs',
      '-t',
      'memory',
      '--max-outputs-per-message',
      '20000',
      '--max-output-bytes-per-message',
      '536870912',
    ]);
    await service.waitFor(/"msg":"output budget"/);
    expect(service.output()).toContain('"maxOutputs":20000,"maxOutputBytes":536870912,');
    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
    const refused = await zocalo(['service', 'Dispatcher', '-t', 'memory', '--max-outputs-per-message', '0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n').at(-1)).toBe(
      'zocalo service: --max-outputs-per-message must be a whole number >= 1, got "0"',
    );
  });
});

describe('zocalo wrap', () => {
  it('runs the program and exits with its exit code, saying why on one line', async () => {
    const ok = await zocalo([
      'wrap',
      '--wrap',
      process.execPath,
      '-t',
      'memory',
      '--',
      '-e',
      'console.log(JSON.stringify({ok:1}))',
    ]);
    expect(ok.code).toBe(0);
    const failed = await zocalo([
      'wrap',
      '--wrap',
      process.execPath,
      '-t',
      'memory',
      '--',
      '-e',
      'process.exit(3)',
    ]);
    expect(failed.code).toBe(3);
    expect(failed.stderr.trim().split('\n').at(-1)).toBe(`zocalo wrap: node exited with code 3`);
    const missing = await zocalo(['wrap', '--wrap', './no-such-program', '-t', 'memory']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n').at(-1)).toBe(
      'zocalo wrap: cannot run ./no-such-program: ENOENT',
    );
    const typo = await zocalo(['wrap', '--wrap', 'dumy', '-t', 'memory']);
    expect(typo.stderr.trim().split('\n').at(-1)).toBe(
      'zocalo wrap: cannot run dumy: ENOENT (and no installed wrapper is called "dumy": zocalo wrap --list)',
    );
  });

  it('lists the wrappers of installed packages and the built-ins', async () => {
    const list = await zocalo(['wrap', '--list']);
    expect(list.code).toBe(0);
    // The built-ins, whatever else the workspace's packages contribute (the example's `greet`).
    for (const name of ['command', 'dummy', 'slurm'])
      expect(list.stdout).toMatch(new RegExp(`^${name} +@zocalo/wrapper$`, 'm'));
  });

  it('runs the command wrapper by name, and the dummy wrapper, which a SIGTERM stops as a failure', async () => {
    const named = await zocalo([
      'wrap',
      '--wrap',
      'command',
      '-t',
      'memory',
      '--',
      process.execPath,
      '-e',
      '1',
    ]);
    expect(named.code).toBe(0);
    const dummy = startZocalo(['wrap', '--wrap', 'dummy', '-t', 'memory']);
    await dummy.waitFor(/Setup complete, starting processing/);
    dummy.child.kill('SIGTERM');
    const stopped = await dummy.exited;
    expect(stopped.code).toBe(1);
    expect(stopped.stderr.trim().split('\n').at(-1)).toBe('zocalo wrap: processing stopped by SIGTERM');
  });
});

describe('zocalo shutdown', () => {
  it('broadcasts shutdown commands and says what it did, completing hostname.pid as Python does', async () => {
    const result = await zocalo([
      'shutdown',
      'ws123.4711',
      '--host',
      'uk.ac.diamond.ws9.1',
      '-s',
      'Dispatcher',
      '-s',
      'none',
      '-t',
      'memory',
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Shutting down (.+\.)?ws123\.4711$/);
    expect(lines.slice(1)).toEqual([
      'Shutting down uk.ac.diamond.ws9.1',
      'Stopping all instances of Dispatcher',
      'Stopping all instances of None',
    ]);
  });
});

describe('zocalo recipe', () => {
  it('validates recipe files with the Python messages, exiting 1 when one is invalid', async () => {
    const valid = await zocalo(['recipe', 'validate', join(RECIPES, 'double.json')]);
    expect(valid).toMatchObject({ code: 0, stdout: `${join(RECIPES, 'double.json')}: valid (2 steps)\n` });
    const invalid = await zocalo([
      'recipe',
      'validate',
      join(RECIPES, 'double.json'),
      join(FIXTURES, 'invalid-recipe.json'),
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain(
      `${join(FIXTURES, 'invalid-recipe.json')}: Invalid recipe: Node "3" is referenced via "['start', 1, 2]" but missing`,
    );
    expect(oneLine(invalid.stderr)).toBe('zocalo recipe validate: 1 of 2 recipe files are invalid');
  });

  it('draws a recipe as Mermaid and as DOT', async () => {
    const mermaid = await zocalo(['recipe', 'graph', join(FIXTURES, 'branching-recipe.json')]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toBe(
      [
        'flowchart TD',
        '  start(["start"])',
        '  error{{"error"}}',
        '  s1["1: Find spots<br/>queue spots"]',
        '  s2["2: Index<br/>queue index"]',
        '  s3["3: Monitor<br/>topic monitor"]',
        '  s4["4: Report failure<br/>queue failures"]',
        '  start --> s1',
        '  error -.-> s4',
        '  s1 -->|"hits"| s2',
        '  s1 -->|"hits"| s3',
        '  s1 -.-> s4',
        '',
      ].join('\n'),
    );
    const dot = await zocalo(['recipe', 'graph', '--format', 'dot', join(FIXTURES, 'branching-recipe.json')]);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toContain('digraph recipe {');
    expect(dot.stdout).toContain('  s1 -> s2 [label="hits"];');
    expect(dot.stdout).toContain('  s1 -> s4 [style=dashed, color=red];');
    expect(dot.stdout).toContain('  s3 [label="3: Monitor\\ntopic monitor"];');
  });
});
