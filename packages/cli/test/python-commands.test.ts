/**
 * python-zocalo's command names with Python's command lines, in one process on the memory transport:
 * the usage lines of python-cases.ts, each checked for its exit code, its output and its effect.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { MessageBody } from '@zocalo/workflows';
import { MemoryTransport, RecordingLogger } from '@zocalo/workflows';
import type { CliIo } from '../src';
import { PYTHON_COMMAND_NAMES, runPythonCommand } from '../src';
import { until } from './helpers';
import { PYTHON_CASES } from './python-cases';
import { prepareCase } from './python-case-run';

function captureIo(env: Record<string, string> = {}): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    isTTY: false,
    env: { ZOCALO_LOG_LEVEL: 'silent', ...env },
    cwd: join(__dirname, '..'),
  };
}

it('has usage lines for every Python command it installs', () => {
  expect(Object.keys(PYTHON_CASES).sort()).toEqual([...PYTHON_COMMAND_NAMES].sort());
});

describe.each(Object.entries(PYTHON_CASES))('%s on the memory transport', (name, cases) => {
  let client: MemoryTransport;
  let received: MessageBody[];
  let requests: Array<{ headers: Record<string, unknown>; message: MessageBody }>;

  beforeEach(async () => {
    client = new MemoryTransport({ logger: new RecordingLogger() });
    await client.connect();
    received = [];
    client.subscribeBroadcast('command', (_headers, message) => void received.push(message));
    requests = [];
    await client.subscribe(
      'processing_recipe',
      (headers, message) => void requests.push({ headers, message }),
    );
  });

  afterEach(async () => {
    await client.disconnect();
  });

  it.each(cases.map((entry) => [entry.args.join(' '), entry] as const))('%s', async (_line, entry) => {
    const run = prepareCase(entry);
    const io = captureIo(run.env);
    const code = await runPythonCommand(name, [...run.args, '-t', 'memory'], io);
    if (code !== entry.code) throw new Error(`exit ${code}, stdout: ${io.out()}, stderr: ${io.err()}`);
    await run.check({ stdout: io.out(), stderr: io.err() }, () => requests.map((request) => request.message));
    if (entry.goHeaders) {
      const mine = requests.find((request) => JSON.stringify(request.message).includes(run.unique));
      expect(mine?.headers).toMatchObject({
        'zocalo.go.user': expect.any(String),
        'zocalo.go.host': hostname(),
      });
    }
    if (entry.commands) {
      await until(() => received.length >= entry.commands!.length);
      expect(received).toEqual(entry.commands);
    }
  });
});
