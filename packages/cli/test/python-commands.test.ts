/**
 * python-zocalo's command names with Python's command lines, in one process on the memory transport:
 * the usage lines of python-cases.ts, each checked for its exit code, its output and its effect.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MessageBody } from '@zocalo/workflows';
import { MemoryTransport, RecordingLogger } from '@zocalo/workflows';
import type { CliIo } from '../src';
import { PYTHON_COMMAND_NAMES, runPythonCommand } from '../src';
import { sleep, tempDirectory, until } from './helpers';
import type { PythonCase } from './python-cases';
import { PYTHON_CASES } from './python-cases';

let serial = 0;

/** A case with `{Q}` and `{DIR}` filled in: a queue name of its own, and its working directory. */
function fillCase(entry: PythonCase, dir: string, queue: string): PythonCase {
  const fill = (text: string): string => text.replaceAll('{Q}', queue).replaceAll('{DIR}', dir);
  const fillJson = <T>(value: T): T => JSON.parse(fill(JSON.stringify(value))) as T;
  return {
    ...entry,
    args: entry.args.map(fill),
    before: entry.before && fillJson(entry.before),
    files: entry.files && fillJson(entry.files),
    stdin: entry.stdin === undefined ? undefined : fill(entry.stdin),
    queues: entry.queues && fillJson(entry.queues),
  };
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** Check `written` and `gone` against the working directory. */
function checkFiles(entry: PythonCase, dir: string): void {
  const files = filesUnder(dir);
  for (const pattern of entry.written ?? []) {
    expect(files.filter((file) => pattern.test(file))).toHaveLength(1);
  }
  if (entry.written) expect(files).toHaveLength(entry.written.length);
  for (const file of entry.gone ?? []) expect(existsSync(join(dir, file))).toBe(false);
}

function captureIo(
  env: Record<string, string> = {},
  cwd = join(__dirname, '..'),
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

function tempFile(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, name), text);
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

  beforeEach(async () => {
    client = new MemoryTransport({ logger: new RecordingLogger() });
    await client.connect();
    received = [];
    client.subscribeBroadcast('command', (_headers, message) => void received.push(message));
  });

  afterEach(async () => {
    await client.disconnect();
  });

  it.each(cases.map((entry) => [entry.args.join(' '), entry] as const))('%s', async (_line, template) => {
    const onDisk = template.files ?? template.written ?? template.gone;
    const dir = onDisk ? tempDirectory() : join(__dirname, '..');
    const entry = fillCase(template, dir, `python.memory.${process.pid}.${(serial += 1)}`);
    if (entry.files) for (const [file, text] of Object.entries(entry.files)) tempFile(dir, file, text);
    for (const [queue, messages] of Object.entries(entry.before ?? {})) {
      for (const message of messages) await client.send(queue, message);
    }
    try {
      const io = captureIo({}, dir, entry.stdin);
      const code = await runPythonCommand(name, [...entry.args, '-t', 'memory'], io);
      if (code !== entry.code) throw new Error(`exit ${code}, stdout: ${io.out()}, stderr: ${io.err()}`);
      if (entry.stdout) expect(io.out()).toMatch(entry.stdout);
      if (entry.stderr) expect(io.err()).toMatch(entry.stderr);
      if (entry.commands) {
        await until(() => received.length >= entry.commands!.length);
        expect(received).toEqual(entry.commands);
      }
      for (const [queue, messages] of Object.entries(entry.queues ?? {})) {
        expect(await drain(client, queue, messages.length)).toEqual(messages);
      }
      checkFiles(entry, dir);
    } finally {
      if (onDisk) rmSync(dir, { recursive: true, force: true });
    }
  });
});
