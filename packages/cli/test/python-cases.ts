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
  readonly stdout?: RegExp;
  readonly stderr?: RegExp;
  /** Messages broadcast on the topic `command`, in order. */
  readonly commands?: readonly MessageBody[];
  /** Messages sent to these queues before the line runs. */
  readonly before?: Readonly<Record<string, readonly MessageBody[]>>;
  /** Files in the working directory before the line runs: name → content. */
  readonly files?: Readonly<Record<string, string>>;
  /** Standard input. */
  readonly stdin?: string;
  /** What these queues hold after the line ran, in order. */
  readonly queues?: Readonly<Record<string, readonly MessageBody[]>>;
  /** Files under the working directory after it ran: each pattern matches one relative path. */
  readonly written?: readonly RegExp[];
  /** Files that must no longer be there. */
  readonly gone?: readonly string[];
}

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
      files: { 'msg-1': pythonDlqFile({ hello: 'again' }) },
      stdout: /^Parsing message from msg-1\nDone\.\n\n$/,
      queues: { '{Q}': [{ hello: 'again' }] },
      written: [/^msg-1$/],
    },
    {
      args: ['-r', '-w', '0.1', 'msg-1', 'missing', 'msg-2'],
      code: 0,
      files: { 'msg-1': pythonDlqFile({ n: 1 }), 'msg-2': pythonDlqFile({ n: 2 }) },
      stdout:
        /^Parsing message from msg-1\nDone\.\n\nIgnoring missing file missing\nParsing message from msg-2\nDone\.\n\n$/,
      queues: { '{Q}': [{ n: 1 }, { n: 2 }] },
      gone: ['msg-1', 'msg-2'],
    },
    {
      args: ['-v', '--remove'],
      code: 0,
      files: { 'msg-1': pythonDlqFile({ n: 1 }) },
      stdin: 'Message ID:1 (2024-12-04 08:13:20) exported:\n  {DIR}/msg-1\nDone.\n',
      stdout:
        /^1 filenames read from stdin\nParsing message from \/\S+\/msg-1\n\{'exported': \{'date': '2024-12-04', 'time': '08:13:20'\}, 'header': \{'destination': .*'message': \{'n': 1\}\}\nDone\.\n\n$/,
      queues: { '{Q}': [{ n: 1 }] },
      gone: ['msg-1'],
    },
    {
      args: ['-d', '{Q}.elsewhere', 'msg-1'],
      code: 0,
      files: { 'msg-1': pythonDlqFile({ n: 1 }) },
      queues: { '{Q}.elsewhere': [{ n: 1 }], '{Q}': [] },
      written: [/^msg-1$/],
    },
    {
      args: ['-r', 'bad', 'msg-1'],
      code: 1,
      files: { bad: '{"header": {}}', 'msg-1': pythonDlqFile({ n: 1 }) },
      stdout: /^Parsing message from bad\n$/,
      stderr: /^File is not a valid DLQ message\./,
      queues: { '{Q}': [] },
      written: [/^bad$/, /^msg-1$/],
    },
    {
      args: ['-w', 'soon', 'msg-1'],
      code: 1,
      files: { 'msg-1': pythonDlqFile({ n: 1 }) },
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
