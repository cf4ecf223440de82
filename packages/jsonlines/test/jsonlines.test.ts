/**
 * JSONLines on the memory transport: the lines python-zocalo's JSONLines writes (its own test's
 * include/exclude case, `json.dumps` byte for byte), where they go (`output_filename` as given, folders
 * made, a file moved away started anew), and the messages it rejects (dead-lettered with the reason,
 * the service going on with the next message).
 */
import { mkdtempSync, mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recipe, RecipeWrapper } from '@zocalo/recipes';
import { uniqueName, until } from '@zocalo/test-brokers';
import {
  MemoryBroker,
  MemoryTransport,
  RecordingLogger,
  ServiceRuntime,
  ServiceState,
  decodeBody,
} from '@zocalo/workflows';
import {
  JSONLINES_QUEUE,
  JSONLines,
  JsonLinesWriteError,
  createJsonLines,
  jsonLine,
  pythonJsonDumps,
} from '../src';

interface DumpsCase {
  readonly value: unknown;
  readonly dumps: string;
}
// decodeBody reads Python's NaN, Infinity and integers beyond 2^53 as Python wrote them.
const DUMPS = decodeBody(
  readFileSync(join(__dirname, 'fixtures', 'json-dumps-cases.json'), 'utf8'),
) as DumpsCase[];

describe('pythonJsonDumps: as Python’s json.dumps', () => {
  it.each(DUMPS.map((item, index) => [index, item] as const))('case %i', (_index, { value, dumps }) => {
    expect(pythonJsonDumps(value)).toBe(dumps);
  });
});

describe('jsonLine: the file and line of a message', () => {
  const message = { foo: 'bar', ham: 1, spam: 2, bar: 'foo' };

  it("python-zocalo's test: include ham, spam and bar, exclude bar", () => {
    expect(
      jsonLine(
        { output_filename: '/data/foo.json', include: ['ham', 'spam', 'bar'], exclude: ['bar'] },
        message,
      ),
    ).toEqual({
      kind: 'line',
      path: '/data/foo.json',
      line: '{"ham": 1, "spam": 2}\n',
    });
  });

  it('include and exclude are Python sets: of an object its keys, of a text its characters', () => {
    const line = (parameters: Record<string, unknown>, body: unknown = message): unknown =>
      (jsonLine({ output_filename: '/f', ...parameters }, body) as { line?: string }).line;
    expect(line({ include: { ham: true, foo: false } })).toBe('{"foo": "bar", "ham": 1}\n');
    expect(line({ include: 'ab' }, { a: 1, b: 2, ab: 3 })).toBe('{"a": 1, "b": 2}\n');
    expect(line({ exclude: ['foo', 'ham', 'spam', 'bar'] })).toBe('{}\n');
    expect(line({ include: [], exclude: [] }, ['any', 'value'])).toBe('["any", "value"]\n');
    expect(line({ include: [1] }, { 1: 'key "1" is text, not the number 1' })).toBe('{}\n');
  });

  it('a relative output_filename is taken from the working directory', () => {
    expect(jsonLine({ output_filename: 'logs/out.jsonl' }, {}, '/srv/zocalo')).toMatchObject({
      path: '/srv/zocalo/logs/out.jsonl',
    });
  });

  it.each<[string, unknown, unknown, string]>([
    ['no parameters', undefined, {}, 'Received message contains no output_filename'],
    ['no output_filename', { include: ['a'] }, {}, 'Received message contains no output_filename'],
    ['an empty output_filename', { output_filename: '' }, {}, 'Received message contains no output_filename'],
    [
      'an output_filename that is no text',
      { output_filename: 7 },
      {},
      'output_filename must be a path (text), not 7',
    ],
    [
      'include of a payload that is not a dict',
      { output_filename: '/f', include: ['a'] },
      [1, 2],
      'not of [1, 2]',
    ],
    [
      'an include that is a number',
      { output_filename: '/f', include: 3 },
      {},
      'must be a list of keys, not 3',
    ],
    [
      'an exclude holding a list',
      { output_filename: '/f', exclude: [['a']] },
      {},
      "must list keys, not ['a']",
    ],
  ])('rejects %s', (_name, parameters, body, reason) => {
    const decision = jsonLine(parameters, body);
    expect(decision.kind).toBe('reject');
    expect((decision as { reason: string }).reason).toContain(reason);
  });
});

describe('JSONLines on memory', () => {
  let broker: MemoryBroker;
  let client: MemoryTransport;
  let runtime: ServiceRuntime | undefined;
  let logger: RecordingLogger;
  let queue: string;
  let dir: string;

  beforeEach(async () => {
    broker = new MemoryBroker();
    logger = new RecordingLogger();
    client = new MemoryTransport({ broker, logger: new RecordingLogger() });
    await client.connect();
    queue = uniqueName('test.jsonlines');
    dir = mkdtempSync(join(tmpdir(), 'zocalo-jsonlines-'));
    runtime = new ServiceRuntime(new JSONLines({ queue, cwd: dir }), {
      transport: new MemoryTransport({ broker, logger }),
      logger,
      commandTopic: false,
    });
    void runtime.run().catch(() => undefined);
    await until(() => runtime?.state === ServiceState.IDLE, 3000, 'JSONLines to start');
  });

  afterEach(async () => {
    runtime?.stop();
    await runtime?.run().catch(() => undefined);
    runtime = undefined;
    await client.disconnect();
  });

  /** Send `payload` along a one-step recipe whose step is JSONLines', with these parameters. */
  async function send(parameters: Record<string, unknown>, payload: unknown): Promise<void> {
    const recipe = new Recipe({ 1: { service: 'JSONLines', queue, parameters }, start: [[1, payload]] });
    await RecipeWrapper.fromRecipe(recipe, client).start();
  }

  /** The file is there with a whole line in it (it exists a moment before its first line is in). */
  const written = (file: string): boolean => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n');
  const settled = (): boolean => broker.stats(queue).depth === 0 && broker.stats(queue).inFlight === 0;
  const dead = (): number => broker.stats(`DLQ.${queue}`).depth;
  const logged = (text: string): boolean =>
    logger.records.some((record) => `${record.msg} ${JSON.stringify(record.fields)}`.includes(text));

  it("writes python-zocalo's test messages as its lines, and acknowledges each", async () => {
    const output = join(dir, 'foo.json');
    const parameters = { output_filename: output, include: ['ham', 'spam', 'bar'], exclude: ['bar'] };
    await send(parameters, { foo: 'bar', ham: 1, spam: 2, bar: 'foo' });
    await send(parameters, { foo: 'bar', ham: 2, spam: 3, bar: 'foo' });
    await until(
      () => existsSync(output) && readFileSync(output, 'utf8').split('\n').length === 3,
      3000,
      'two lines',
    );
    expect(readFileSync(output, 'utf8')).toBe('{"ham": 1, "spam": 2}\n{"ham": 2, "spam": 3}\n');
    await until(settled, 3000, 'both messages acknowledged');
    expect(dead()).toBe(0);
  });

  it('names files as the recipe says: parameters filled in, folders made, a relative name from the working directory', async () => {
    const recipe = (visit: string) =>
      new Recipe({
        1: { queue, parameters: { output_filename: 'visits/{visit}/{date}/hits.jsonl' } },
        start: [[1, { visit, image: 1 }]],
      }).applyParameters({ visit, date: '2026-12-04' });
    await RecipeWrapper.fromRecipe(recipe('mx1-1'), client).start();
    await RecipeWrapper.fromRecipe(recipe('mx2-7'), client).start();
    const first = join(dir, 'visits', 'mx1-1', '2026-12-04', 'hits.jsonl');
    const second = join(dir, 'visits', 'mx2-7', '2026-12-04', 'hits.jsonl');
    await until(() => written(first) && written(second), 3000, 'both files');
    expect(readFileSync(first, 'utf8')).toBe('{"visit": "mx1-1", "image": 1}\n');
    expect(readFileSync(second, 'utf8')).toBe('{"visit": "mx2-7", "image": 1}\n');
  });

  it('a file moved away (log rotation) is started anew at the next message; the moved one keeps its lines', async () => {
    const output = join(dir, 'rotated.jsonl');
    await send({ output_filename: output }, { n: 1 });
    await send({ output_filename: output }, { n: 2 });
    await until(() => existsSync(output) && readFileSync(output, 'utf8').length === 18, 3000, 'two lines');
    renameSync(output, `${output}.1`);
    await send({ output_filename: output }, { n: 3 });
    await until(() => written(output), 3000, 'the new file');
    expect(readFileSync(`${output}.1`, 'utf8')).toBe('{"n": 1}\n{"n": 2}\n');
    expect(readFileSync(output, 'utf8')).toBe('{"n": 3}\n');
  });

  it('dead-letters what it cannot write, with the reason, and goes on with the next message', async () => {
    const output = join(dir, 'after.jsonl');
    // A folder where the file should be (EISDIR), and a file where a folder should be (EEXIST, as Python's mkdir).
    mkdirSync(join(dir, 'a-folder'));
    writeFileSync(join(dir, 'a-file'), '');
    await client.send(queue, { not: 'a recipe message' });
    await send({}, { no: 'output_filename' });
    await send({ output_filename: output, include: ['x'] }, 'not a dict');
    await send({ output_filename: join(dir, 'a-folder') }, { n: 1 });
    await send({ output_filename: join(dir, 'a-file', 'below.jsonl') }, { n: 2 });
    await send({ output_filename: output }, { still: 'working' });
    await until(() => dead() === 5 && settled(), 5000, 'five dead letters');
    expect(readFileSync(output, 'utf8')).toBe('{"still": "working"}\n');
    await until(() => runtime?.state === ServiceState.IDLE, 3000, 'JSONLines to be idle again');
    for (const reason of [
      'The input to this service is not a wrapped recipe',
      'Received message contains no output_filename',
      "include and exclude choose keys of a message that is a dictionary, not of 'not a dict'",
      `EISDIR`,
      `EEXIST`,
    ]) {
      await until(() => logged(reason), 3000, `the reason ${reason} to be logged`);
    }
    const writeFailures = logger.records.filter(
      (record) => (record.fields as { err?: unknown }).err instanceof JsonLinesWriteError,
    );
    expect(writeFailures.map((record) => record.level)).toEqual(['error', 'error']);
    expect(logged(`writing messages to ${join(dir, 'a-folder')}`)).toBe(true);
  });
});

describe('createJsonLines', () => {
  it("listens on python-zocalo's queue, or the one storage names", () => {
    const service = createJsonLines();
    expect(service.queue).toBe(JSONLINES_QUEUE);
    expect(service.name).toBe('JSON Lines');
    expect(service.serviceClass).toBe('JSONLines');
    expect(createJsonLines({ storage: { 'zocalo.jsonlines.queue': 'test.lines' } }).queue).toBe('test.lines');
  });
});
