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
import { sleep, until } from './helpers';
import { PYTHON_CASES } from './python-cases';
import { prepareCase } from './python-case-run';

function captureIo(
  env: Record<string, string> = {},
  cwd: string = join(__dirname, '..'),
  stdin?: string,
): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    isTTY: false,
    env: { ZOCALO_LOG_LEVEL: 'silent', ...env },
    cwd,
    // Never the test runner's own standard input: none, unless the case gives one.
    stdin: stdin ?? null,
  };
}

/** What a queue holds: its messages, taken off it (a moment more than `expected` takes, to see no extra). */
async function drain(client: MemoryTransport, queue: string, expected: number): Promise<MessageBody[]> {
  const got: MessageBody[] = [];
  const id = await client.subscribe(queue, (_headers, message) => void got.push(message));
  await until(() => got.length >= expected).catch(() => undefined);
  await sleep(50);
  await client.unsubscribe(id);
  return got;
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
    for (const [queue, messages] of Object.entries(run.before)) {
      for (const message of messages) await client.send(queue, message);
    }
    const io = captureIo(run.env, run.cwd, run.stdin);
    const transport = entry.transport === false ? [] : ['-t', 'memory'];
    const code = await runPythonCommand(name, [...run.args, ...transport], io);
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
    for (const [queue, messages] of Object.entries(run.queues)) {
      expect(await drain(client, queue, messages.length)).toMatchObject(messages as MessageBody[]);
    }
  });
});
