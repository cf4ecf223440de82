/**
 * python-zocalo's usage lines, by command: real command lines from python-zocalo 1.6's argument
 * parsers, each with what it must do. python-commands.test.ts runs them in one process on the memory
 * transport, python-commands.broker.test.ts as executables on both brokers.
 */
import type { MessageBody } from '@zocalo/workflows';

/**
 * One usage line and what it must do. In arguments, queue names, file names and contents and stdin,
 * `{Q}` is a name unique to the run and `{DIR}` its working directory (a fresh one when `files`,
 * `written` or `gone` are given).
 */
export interface PythonCase {
  readonly args: readonly string[];
  readonly code: number;
  /** False for a command without python-workflows' `-t` (zocalo.configure_rabbitmq): the runner adds none. */
  readonly transport?: false;
  /** Environment variables for the run (ZOCALO_DEFAULT_ENV, ...), `{…}` filled in. */
  readonly env?: Readonly<Record<string, string>>;
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
  /** Messages sent to these queues before the line runs. */
  readonly before?: Readonly<Record<string, readonly MessageBody[]>>;
  /** Files in the working directory before the line runs: name → content. */
  readonly given?: Readonly<Record<string, string>>;
  /** Standard input. */
  readonly stdin?: string;
  /** What these queues hold after the line ran, in order (objects matched as subsets). */
  readonly queues?: Readonly<Record<string, readonly MessageBody[]>>;
  /** Files under the working directory after it ran: each pattern matches one relative path. */
  readonly written?: readonly RegExp[];
  /** Files that must no longer be there. */
  readonly gone?: readonly string[];
}

/** A site whose fallback location is only in the environment `elsewhere`. */
export const DEFAULT_ENV_SITE = `version: 1
storage:
  plugin: storage
  zocalo.go.fallback_location: '{dir}'
environments:
  default: []
  elsewhere: [storage]
`;

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

/** A dead letter as python-zocalo's `dlq_purge` writes it from ActiveMQ, to go back to `{Q}`. */
function pythonDlqFile(message: MessageBody): string {
  const header = {
    destination: '/queue/DLQ.{Q}',
    'message-id': 'ID:ws1-4711-1:1:1:1:1',
    'original-destination': '/queue/{Q}',
    persistent: 'true',
    timestamp: '1733300000000',
  };
  return JSON.stringify({ exported: { date: '2024-12-04', time: '08:13:20' }, header, message }, null, 2);
}

/** A recipe message whose current step goes to the queue `{Q}.step`. */
const RECIPE_MESSAGE = {
  recipe: { '1': { service: 'Step', queue: '{Q}.step' }, start: [[1, []]] },
  'recipe-pointer': 1,
  'recipe-path': [],
  environment: { ID: 'f3b4c2a0-0000-4000-8000-000000000001' },
  payload: null,
};

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
      // pprint: wrapped at 80 columns, as Python prints it.
      stdout: /\{'parameters': \{'ispyb_dcid': 5, 'marker': '[^']+'\},\n 'recipes': \['x'\]\}\n/,
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
    // ZOCALO_DEFAULT_ENV picks the environments when no -e is given: only `elsewhere` has the storage.
    {
      args: ['--drop', '-r', 'x', '5'],
      site: DEFAULT_ENV_SITE,
      env: { ZOCALO_DEFAULT_ENV: 'elsewhere' },
      code: 0,
      stdout: /Message successfully stored in DIR\//,
      files: [{ message: { recipes: ['x'] } }],
    },
    // Without it, `default` (no storage): --drop without a fallback location sends, as Python does.
    {
      args: ['--drop', '-r', 'x', '-s', 'marker={unique}', '5'],
      site: DEFAULT_ENV_SITE,
      code: 0,
      sent: [{ recipes: ['x'], parameters: { marker: '{unique}' } }],
      files: [],
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
  'zocalo.wrap': [
    { args: ['-?'], code: 0, stdout: /^usage: zocalo\.wrap \[options\]/ },
    { args: [], code: 1, stderr: /^A wrapper object must be specified\.\n$/ },
    { args: ['--wrap', 'nosuch'], code: 2, stderr: /argument --wrap: invalid choice: 'nosuch'/ },
    // The built-in dummy wrapper (its wait cut to 0 s by the step), reporting to the step's outputs.
    {
      args: ['--wrap', 'dummy', '--recipewrapper', '{dir}/rw.json'],
      code: 0,
      given: {
        'rw.json': JSON.stringify({
          recipe: {
            '1': {
              service: 'Dummy',
              queue: '{Q}.dummy',
              parameters: { seconds: 0 },
              output: { completed: 2 },
            },
            '2': { service: 'Done', queue: '{Q}.done' },
            start: [[1, []]],
          },
          'recipe-pointer': 1,
          'recipe-path': [],
          environment: {},
          payload: null,
        }),
      },
      queues: { '{Q}.done': [{ payload: 'Finished processing', 'recipe-pointer': 2 }] },
    },
    {
      args: ['--wrap', 'dummy', '--recipewrapper', '{dir}/missing.json'],
      code: 1,
      stderr: /recipe wrapper file \S+missing\.json: cannot be read \(ENOENT\)/,
    },
  ],
  'zocalo.configure_rabbitmq': [
    // No `-?` in Python's parser: argparse first misses the positional.
    {
      args: ['-?'],
      code: 2,
      transport: false,
      stderr: /the following arguments are required: configuration/,
    },
    {
      args: ['--help'],
      code: 0,
      transport: false,
      stdout:
        /^usage: zocalo\.configure_rabbitmq \[-h\] \[--user-config USER_CONFIG\] \[-e ENV\]\s+configuration\n.*deleting what it lacks/s,
    },
    {
      args: [],
      code: 2,
      transport: false,
      stderr: /error: the following arguments are required: configuration/,
    },
    {
      args: ['{dir}/rabbitmq.yaml'],
      code: 1,
      transport: false,
      stderr: /^No RabbitMQ user configuration: give --user-config D[I]R/,
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
  'zocalo.dlq_check': [
    { args: ['-?'], code: 0, stdout: /^usage: zocalo\.dlq_check \[options\]\n/ },
    {
      args: ['--help'],
      code: 0,
      stdout: /-n, --namespace NAMESPACE\s+Restrict check to this namespace/,
    },
    {
      args: ['-n'],
      code: 2,
      stderr: /zocalo\.dlq_check: error: argument -n\/--namespace: expected one argument/,
    },
    { args: [], code: 1, stderr: /^Transport memory not recognised\n$/ },
  ],
  'zocalo.dlq_purge': [
    { args: ['-?'], code: 0, stdout: /^usage: zocalo\.dlq_purge \[options\] \[queue \[queue \.\.\.\]\]/ },
    { args: ['--wait', 'soon'], code: 2, stderr: /argument --wait: invalid 'float' value: 'soon'/ },
    {
      args: ['--wait', '0.3', '--location', 'DLQ', '{Q}'],
      code: 0,
      before: { '{Q}': [{ hello: 'purge' }] },
      stdout:
        /^Looking for DLQ messages in \S+\nMessage \S+ \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\) exported:\n {2}DLQ\/\d{4}-\d\d-\d\d\/msg-\d{8}-\d{6}-\d{3}-\S+\nDone\.\n$/,
      written: [/^DLQ\/\d{4}-\d\d-\d\d\/msg-\d{8}-\d{6}-\d{3}-/],
      queues: { '{Q}': [] },
    },
  ],
  'zocalo.dlq_reinject': [
    { args: ['-?'], code: 0, stdout: /^usage: zocalo\.dlq_reinject \[options\] file \[file \[\.\.\]\]/ },
    {
      args: [],
      stdin: '',
      code: 1,
      stdout: /^0 filenames read from stdin\n$/,
      stderr: /^No DLQ message files given\.\n$/,
    },
    {
      args: ['msg-1'],
      code: 0,
      given: { 'msg-1': pythonDlqFile({ hello: 'again' }) },
      stdout: /^Parsing message from msg-1\nDone\.\n\n$/,
      queues: { '{Q}': [{ hello: 'again' }] },
      written: [/^msg-1$/],
    },
    {
      args: ['-r', '-w', '0.1', 'msg-1', 'missing', 'msg-2'],
      code: 0,
      given: { 'msg-1': pythonDlqFile({ n: 1 }), 'msg-2': pythonDlqFile({ n: 2 }) },
      stdout:
        /^Parsing message from msg-1\nDone\.\n\nIgnoring missing file missing\nParsing message from msg-2\nDone\.\n\n$/,
      queues: { '{Q}': [{ n: 1 }, { n: 2 }] },
      gone: ['msg-1', 'msg-2'],
    },
    {
      args: ['-v', '--remove'],
      code: 0,
      given: { 'msg-1': pythonDlqFile({ n: 1 }) },
      stdin: 'Message ID:1 (2024-12-04 08:13:20) exported:\n  {DIR}/msg-1\nDone.\n',
      stdout:
        /^1 filenames read from stdin\nParsing message from \/\S+\/msg-1\n\{'exported': \{'date': '2024-12-04', 'time': '08:13:20'\},\n 'header': \{'destination': [^]*\n 'message': \{'n': 1\}\}\nDone\.\n\n$/,
      queues: { '{Q}': [{ n: 1 }] },
      gone: ['msg-1'],
    },
    {
      args: ['-d', '{Q}.elsewhere', 'msg-1'],
      code: 0,
      given: { 'msg-1': pythonDlqFile({ n: 1 }) },
      queues: { '{Q}.elsewhere': [{ n: 1 }], '{Q}': [] },
      written: [/^msg-1$/],
    },
    {
      args: ['-r', 'bad', 'msg-1'],
      code: 1,
      given: { bad: '{"header": {}}', 'msg-1': pythonDlqFile({ n: 1 }) },
      stdout: /^Parsing message from bad\n$/,
      stderr: /^File is not a valid DLQ message\./,
      queues: { '{Q}': [] },
      written: [/^bad$/, /^msg-1$/],
    },
    {
      args: ['-w', 'soon', 'msg-1'],
      code: 1,
      given: { 'msg-1': pythonDlqFile({ n: 1 }) },
      stderr: /could not convert string to float: 'soon'/,
    },
  ],
  'zocalo.queue_drain': [
    { args: ['-?'], code: 0, stdout: /^usage: zocalo\.queue_drain \[options\] source destination/ },
    {
      args: ['--help'],
      code: 0,
      stdout:
        /DEST\s+Destination queue name; use '\.' to automatically\s+determine destination for recipe messages/,
    },
    { args: ['{Q}'], code: 2, stderr: /error: the following arguments are required: DEST/ },
    {
      args: ['{Q}', '{Q}.to', '--stop', 'never'],
      code: 2,
      stderr: /argument --stop: invalid 'float' value: 'never'/,
    },
    {
      args: ['{Q}', '{Q}.to', '--wait', '0.1', '--stop', '0.5'],
      code: 0,
      before: { '{Q}': [{ n: 1 }, { n: 2 }] },
      stdout:
        /^Reading messages from \S+\nWriting messages to \S+\.to\n\n(?:Message date: [\d :-]+\n)? {3}1 message\(s\) drained in \d+\.\d seconds\n\n(?:Message date: [\d :-]+\n)? {3}2 message\(s\) drained in \d+\.\d seconds\n2 message\(s\) drained, no message seen for 0\.\d seconds\n$/,
      queues: { '{Q}.to': [{ n: 1 }, { n: 2 }], '{Q}': [] },
    },
    {
      args: ['{Q}', '.', '--wait=0', '--stop=0.5'],
      code: 0,
      before: { '{Q}': [RECIPE_MESSAGE] },
      stdout:
        /^Reading messages from \S+\nWriting messages to automatically determined destinations\n\n(?:Message date: [\d :-]+\n)?Recipe ID: {4}f3b4c2a0-0000-4000-8000-000000000001\nTarget Queue: \S+\.step\n {3}1 message\(s\) drained/,
      queues: { '{Q}.step': [RECIPE_MESSAGE] },
    },
    {
      args: ['{Q}', '.', '--wait', '0', '--stop', '0.5'],
      code: 1,
      before: { '{Q}': [{ not: 'a recipe' }] },
      stderr: /^Could not determine target queue for message\n$/,
      queues: { '{Q}': [{ not: 'a recipe' }] },
    },
  ],
};
