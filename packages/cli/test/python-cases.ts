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
}

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
};
