/**
 * python-zocalo's usage lines, by command: real command lines from python-zocalo 1.6's argument
 * parsers, each with what it must do. python-commands.test.ts runs them in one process on the memory
 * transport, python-commands.broker.test.ts as executables on both brokers.
 */
import type { MessageBody } from '@zocalo/workflows';

/** One usage line and what it must do. */
export interface PythonCase {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout?: RegExp;
  readonly stderr?: RegExp;
  /** Messages broadcast on the topic `command`, in order. */
  readonly commands?: readonly MessageBody[];
  /**
   * A site configuration (YAML) for the run; `{dir}` in it (and in args, stdout patterns as `DIR`)
   * is a fresh directory: the fallback location of zocalo.go and zocalo.pickup.
   */
  readonly site?: string;
  /** Files in `{dir}` before the run (name → content), with distinct modification times in order. */
  readonly stored?: Readonly<Record<string, MessageBody>>;
  /**
   * Requests sent to `processing_recipe`, in order (matched as subsets; the runner also checks the
   * headers zocalo.go.user and zocalo.go.host where `goHeaders` is set). `{unique}` in args marks the
   * requests of this run on a shared broker.
   */
  readonly sent?: readonly MessageBody[];
  readonly goHeaders?: boolean;
  /** The files in `{dir}` after the run: how many, and what each holds (subsets), in any order. */
  readonly files?: readonly MessageBody[];
}

/** A site with a fallback location `{dir}`, on the memory transport unless `-t` says otherwise. */
export const FALLBACK_SITE = `version: 1
storage:
  plugin: storage
  zocalo.go.fallback_location: '{dir}'
environments:
  default: [storage]
  test: [storage]
`;

const REQUEST = { recipes: ['example'], parameters: { ispyb_dcid: 1234, marker: '{unique}' } };
const HEADERS = { 'zocalo.go.user': 'someone', 'zocalo.go.host': 'ws001.diamond.ac.uk' };

/** python-zocalo's usage lines, by command. */
export const PYTHON_CASES: Readonly<Record<string, readonly PythonCase[]>> = {
  'zocalo.go': [
    { args: ['-?'], code: 0, stdout: /^usage: zocalo\.go \[options\] dcid/ },
    {
      args: ['--help'],
      code: 0,
      stdout: /Means a reprocessing ID is given rather than a data\s+collection ID.*zocalo go/s,
    },
    { args: ['1234'], code: 1, stderr: /^No recipes specified\.\n$/ },
    {
      args: ['-r', 'x'],
      code: 1,
      stderr: /^You must either specify a data collection ID or option --no-dcid\.\n$/,
    },
    {
      args: ['-r', 'x', '1', '2'],
      code: 1,
      stderr: /^Only a single data collection ID can be specified\.\n$/,
    },
    {
      args: ['-r', 'x', '-s', 'novalue', '1'],
      code: 1,
      stderr: /^Invalid variable specification 'novalue'\n$/,
    },
    {
      args: ['-r', 'x', 'abc'],
      code: 1,
      stderr: /ValueError: invalid literal for int\(\) with base 10: 'abc'/,
    },
    { args: ['-r', 'x', '0'], code: 1, stderr: /AssertionError: Invalid data collection ID given\./ },
    { args: ['--bogus', '1'], code: 2, stderr: /zocalo\.go: error: unrecognized arguments: --bogus/ },
    {
      args: ['-r', 'example-xia2', '527189', '-s', 'marker={unique}'],
      code: 0,
      stdout: /^Running recipes \['example-xia2'\]\nfor data collection 527189\n\nSubmitted\.\n$/,
      sent: [{ recipes: ['example-xia2'], parameters: { marker: '{unique}', ispyb_dcid: 527189 } }],
      goHeaders: true,
    },
    {
      args: ['--recip', 'a', '-rb', '--set=x=1=2', '-a', '77', '-s', 'marker={unique}', '42'],
      code: 0,
      stdout: /^Running recipes \['a', 'b'\]\nfor data collection 42\n/,
      sent: [
        {
          recipes: ['a', 'b'],
          parameters: { x: '1=2', marker: '{unique}', ispyb_dcid: 42, ispyb_autoprocscalingid: 77 },
        },
      ],
    },
    {
      args: ['-p', '-r', 'reprocess', '99', '-s', 'marker={unique}'],
      code: 0,
      stdout: /^Running recipes \['reprocess'\]\n\nReprocessing task submitted for ID 99\.\n$/,
      sent: [{ recipes: ['reprocess'], parameters: { marker: '{unique}', ispyb_process: 99 } }],
    },
    {
      args: ['-n', '-f', 'test/fixtures/branching-recipe.json', '-s', 'marker={unique}'],
      code: 0,
      stdout:
        /^Running recipe from file test\/fixtures\/branching-recipe\.json\nwithout specified data collection\.\n\nSubmitted\.\n$/,
      sent: [
        { recipes: [], parameters: { marker: '{unique}' }, custom_recipe: { start: expect.any(Array) } },
      ],
    },
    {
      args: ['-v', '-r', 'x', '-s', 'marker={unique}', '5'],
      code: 0,
      stdout: /\{'parameters': \{'ispyb_dcid': 5, 'marker': '[^']+'\}, 'recipes': \['x'\]\}\n/,
      sent: [{ recipes: ['x'], parameters: { ispyb_dcid: 5 } }],
    },
    {
      args: ['--dry-run', '-r', 'x', '5'],
      code: 0,
      stdout: /for data collection 5\nNot sending message \(running with --dry-run\)\n\nSubmitted\.\n$/,
      sent: [],
    },
    {
      args: ['--drop', '-r', 'x', '5'],
      site: FALLBACK_SITE,
      code: 0,
      stdout:
        /^Running recipes \['x'\]\nfor data collection 5\nMessage successfully stored in DIR\/[0-9a-f-]{36}\n\nSubmitted\.\n$/,
      files: [
        {
          headers: { 'zocalo.go.host': expect.any(String) },
          message: { recipes: ['x'], parameters: { ispyb_dcid: 5 } },
        },
      ],
    },
    {
      args: ['--drop', '--dry-run', '-r', 'x', '5'],
      site: FALLBACK_SITE,
      code: 0,
      stdout: /Not storing message in DIR\/[0-9a-f-]{36} \(running with --dry-run\)\n/,
      files: [],
    },
    {
      args: ['--test', '--drop', '-r', 'x', '5'],
      site: FALLBACK_SITE,
      code: 0,
      files: [{ message: { recipes: ['x'] } }],
    },
  ],
  'zocalo.pickup': [
    { args: ['-?'], code: 0, stdout: /^usage: zocalo\.pickup \[options\]/ },
    { args: ['--help'], code: 0, stdout: /Number of seconds to wait initially/ },
    { args: ['-w', 'soon'], code: 2, stderr: /argument -w\/--wait: invalid '?int'? value: 'soon'/ },
    { args: ['-w', '0'], code: 1, stderr: /no storage zocalo\.go\.fallback_location/ },
    { args: ['-w', '0'], site: FALLBACK_SITE, code: 0, stdout: /^Found 0 files\n$/ },
    {
      args: ['-w', '0', '-d', '0'],
      site: FALLBACK_SITE,
      stored: {
        first: { headers: HEADERS, message: { ...REQUEST, recipes: ['one'] } },
        second: { headers: HEADERS, message: { ...REQUEST, recipes: ['two', 'three'] } },
      },
      code: 0,
      stdout:
        /^Found 2 files\nConnecting to \w+\.\.\.\nSending DIR\/first from host ws001\.diamond\.ac\.uk with recipes one\nDone \(1 of 2\)\nSending DIR\/second from host ws001\.diamond\.ac\.uk with recipes two,three\nDone \(2 of 2\)\n$/,
      sent: [
        { ...REQUEST, recipes: ['one'] },
        { ...REQUEST, recipes: ['two', 'three'] },
      ],
      files: [],
    },
  ],
  'zocalo.service': [
    { args: ['-?'], code: 0, stdout: /^usage: zocalo\.service \[options\]/ },
    { args: ['--help'], code: 0, stdout: /--liveness-timeout.*--tag TAG.*Restart service on failure/s },
    { args: ['--version'], code: 0, stdout: /^\S+ \(workflows \S+\)\n$/ },
    { args: [], code: 1, stderr: /no service to start: name one with -s \(known services: .*Dispatcher/ },
    { args: ['-s', 'NoSuchService'], code: 1, stderr: /unknown service "NoSuchService"/ },
    {
      args: ['-s', 'Dispatcher', '-vvx'],
      code: 2,
      stderr: /^Usage: zocalo\.service \[options\]\n\nzocalo\.service: error:/,
    },
    { args: ['-s', 'Dispatcher', '--metrics-port', 'x'], code: 2, stderr: /invalid '?int'? value: 'x'/ },
    {
      args: ['-s', 'Dispatcher', '--liveness-timeout', '0'],
      code: 1,
      stderr: /--liveness-timeout must be > 0/,
    },
  ],
  'zocalo.shutdown': [
    { args: ['-?'], code: 0, stdout: /^usage: zocalo\.shutdown .*HOSTS/s },
    { args: ['--help'], code: 0, stdout: /Stop all instances of a service/ },
    { args: [], code: 1, stdout: /^Need to specify one or more services to shut down\./ },
    { args: ['--bogus'], code: 2, stderr: /zocalo\.shutdown: error: unrecognized arguments: --bogus/ },
    {
      args: ['-e', 'nowhere', '-s', 'X'],
      code: 2,
      stderr: /argument -e\/--environment: invalid choice: 'nowhere'/,
    },
    {
      args: ['-s', 'Dispatcher'],
      code: 0,
      stdout: /^Stopping all instances of Dispatcher\n$/,
      commands: [{ command: 'shutdown', service: 'Dispatcher' }],
    },
    {
      args: ['--serv', 'none', '-s', 'Mailer'],
      code: 0,
      stdout: /Stopping all instances of None\nStopping all instances of Mailer\n/,
      commands: [
        { command: 'shutdown', service: null },
        { command: 'shutdown', service: 'Mailer' },
      ],
    },
    {
      args: ['uk.ac.diamond.ws1.4711', '-s', 'Dispatcher'],
      code: 0,
      stdout: /^Shutting down uk\.ac\.diamond\.ws1\.4711\nStopping all instances of Dispatcher\n$/,
      commands: [
        { command: 'shutdown', host: 'uk.ac.diamond.ws1.4711' },
        { command: 'shutdown', service: 'Dispatcher' },
      ],
    },
  ],
};
