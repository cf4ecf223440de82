/**
 * Dead-letter files cross between python-zocalo 1.6 and us, on both brokers. The fixtures under
 * fixtures/python-dlq/ are byte for byte what python-zocalo's `zocalo.dlq_purge` writes (made by
 * following its code with pika and stomp.py, python-workflows' header composition and
 * `json.dump(..., indent=2, sort_keys=True)`, against these brokers); fixtures/ours-v1/ holds files in
 * the format our purge wrote before.
 */
// File names and x-death times are local time, as python-zocalo writes them; the fixtures were made in UTC.
process.env.TZ = 'UTC';

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { HeaderValue, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { MemoryBroker, MemoryTransport } from '@zocalo/workflows';
import { requireBroker, uniqueName } from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import type { DlqBroker, PyDict, PyValue } from '../src';
import {
  PyFloat,
  RabbitManagement,
  dlqPurge,
  dlqReinject,
  parseDlqFile,
  pyDumps,
  pyFloatRepr,
  pyLoads,
  pyString,
  pythonDlqFile,
  toPlain,
} from '../src';
import { RecordingLogger, stompTransport, waitFor } from './helpers';

jest.setTimeout(60_000);

const FIXTURES = join(__dirname, 'fixtures');
/** The queue the fixtures' messages were dead-lettered from. */
const QUEUE = 'zocalo.test.python-dlq';
const PYTHON: Record<DlqBroker, string> = {
  rabbitmq: 'python-dlq/rabbitmq/2026-12-03/msg-20261203-195231-000-3',
  activemq: 'python-dlq/activemq/2026-12-03/msg-20261203-195232-123-ID_vm-32991-1796327044458-6_260_-1_1_1',
};
const OURS_V1: Record<DlqBroker, string> = {
  rabbitmq: 'ours-v1/dlq.zocalo.test.python-dlq.1796327552456.000001.json',
  activemq: 'ours-v1/DLQ.zocalo.test.python-dlq.1796327552456.000001.json',
};

function fixture(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8');
}

function dict(value: PyValue | undefined): PyDict {
  if (!(value instanceof Map)) throw new Error('not a dict');
  return value;
}

/** A python-format file's header as our transport delivers it (the reverse of what purge does to it). */
function delivered(broker: DlqBroker, header: PyDict): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  for (const [name, value] of header) {
    if (name === 'x-death') out[name] = JSON.stringify(toPlain(value));
    else if (name === 'message-id') out[name] = String(value);
    else out[name] = toPlain(value) as HeaderValue;
  }
  // Our STOMP transport speaks 1.2 (an `ack` header) and always says whether a message was redelivered.
  if (broker === 'activemq') Object.assign(out, { ack: 'ID:vm-1:2', redelivered: false });
  return out;
}

/** What python-zocalo 1.6's `dlq_reinject` checks and reads of a file before sending it (a port of it). */
function pythonReinjectReads(text: string, broker: DlqBroker): { destination: string; exchange?: string } {
  const file = dict(pyLoads(text));
  const header = file.get('header');
  const message = file.get('message');
  if (!(header instanceof Map) || header.size === 0) throw new Error('File is not a valid DLQ message.');
  if (message === undefined || message === null || message === false || message === 0 || message === '') {
    throw new Error('File is not a valid DLQ message.');
  }
  if (broker === 'rabbitmq') {
    const death = header.get('x-death');
    if (!Array.isArray(death)) throw new Error("AttributeError: 'str' object has no attribute 'get'");
    const first = dict(death[0]);
    return { destination: String(first.get('queue')), exchange: String(first.get('exchange')) };
  }
  const destination = String(header.get('original-destination') ?? header.get('destination')).split('/');
  if (destination[1] !== 'queue' && destination[1] !== 'topic') throw new Error('unknown message mechanism');
  return { destination: destination.slice(2).join('/') };
}

/** A file's keys and value types, without its values: each value replaced by its Python type's name. */
function skeleton(text: string): string {
  const typed = (value: PyValue): PyValue => {
    if (Array.isArray(value)) return value.map(typed);
    if (value instanceof Map)
      return new Map([...value].map(([key, item]): [string, PyValue] => [key, typed(item)]));
    if (value instanceof PyFloat) return 'float';
    if (value === null) return 'None';
    return typeof value === 'boolean' ? 'bool' : typeof value === 'string' ? 'str' : 'int';
  };
  return pyDumps(typed(pyLoads(text)), { indent: 2, sortKeys: true });
}

describe('python-zocalo dead-letter files, byte for byte', () => {
  it.each(['rabbitmq', 'activemq'] as const)(
    '%s: the file python-zocalo wrote is the one we write for the same message',
    (broker) => {
      const text = fixture(PYTHON[broker]);
      expect(text.endsWith('}')).toBe(true); // json.dump writes no final newline
      const python = dict(pyLoads(text));
      const exported = dict(python.get('exported'));
      const now = new Date(`${String(exported.get('date'))}T${String(exported.get('time'))}`);
      // The body a python-workflows sender wrote: json.dumps of the message.
      const body = pyDumps(python.get('message') ?? null);
      const ours = pythonDlqFile(broker, delivered(broker, dict(python.get('header'))), body, now);
      expect(ours.text).toBe(text);
      expect(join('python-dlq', broker, ours.directory, ours.name)).toBe(PYTHON[broker]);
    },
  );

  it.each(['rabbitmq', 'activemq'] as const)('%s: both readers take the file alike', (broker) => {
    const text = fixture(PYTHON[broker]);
    expect(pythonReinjectReads(text, broker).destination).toBe(QUEUE);
    const saved = parseDlqFile(text);
    expect(saved).toMatchObject({ format: 'python', broker, originalQueue: QUEUE });
    // What python-zocalo's reinject sends: json.dumps(message), `, ` and `: ` between items.
    expect(saved.body).toBe(
      '{"payload": {"n": 7, "text": "caf\\u00e9 \\u2603"}, "recipe": {"1": {"queue": "zocalo.test.python-dlq", ' +
        '"service": "x"}}, "recipe-pointer": 1}',
    );
  });

  it('writes numbers and strings as Python does', () => {
    expect([1796327551, 1e16, 1e15 + 0.5, 1e-5, 0.0001, 0.1, 1.5e300, -2.5].map(pyFloatRepr)).toEqual([
      '1796327551.0',
      '1e+16',
      '1000000000000000.5',
      '1e-05',
      '0.0001',
      '0.1',
      '1.5e+300',
      '-2.5',
    ]);
    expect(pyString('caf\u00e9 \u{1f600} \u007f\n"\\/')).toBe(
      '"caf\\u00e9 \\ud83d\\ude00 \\u007f\\n\\"\\\\/"',
    );
    const value = pyLoads(
      '{"b": [1, 2.0, {}], "a": {"\u{1f600}": null, "\uffff": true}, "n": 123456789012345678901}',
    );
    expect(pyDumps(value, { indent: 2, sortKeys: true })).toBe(
      '{\n  "a": {\n    "\\uffff": true,\n    "\\ud83d\\ude00": null\n  },\n  "b": [\n    1,\n    2.0,\n    {}\n  ],\n' +
        '  "n": 123456789012345678901\n}',
    );
    expect(pyDumps(new Map<string, PyValue>([['t', new PyFloat(1)]]))).toBe('{"t": 1.0}');
  });

  it('reinjects an ActiveMQ message from a topic by broadcasting it, with dlq-reinjected: True', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zocalo-pydlq-topic-'));
    const broker = new MemoryBroker();
    const transport = new MemoryTransport({ broker, logger: new RecordingLogger() });
    try {
      const file = join(dir, 'msg');
      writeFileSync(file, fixture(PYTHON.activemq).replace(`/queue/${QUEUE}`, '/topic/transient.news'));
      await transport.connect();
      const got: ReceivedHeaders[] = [];
      await transport.subscribeBroadcast('transient.news', (header) => void got.push(header));
      const outcomes = await dlqReinject(transport, [file]);
      expect(outcomes).toEqual([{ file, status: 'sent', queue: 'transient.news', broadcast: true }]);
      await waitFor(() => got.length === 1, 'the broadcast', 2000);
      expect(got[0]['dlq-reinjected']).toBe('True');
      expect(existsSync(file)).toBe(true); // kept without remove (python-zocalo's -r)
    } finally {
      await transport.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const management = new RabbitManagement();
const cleanup: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

function brokerTransport(broker: DlqBroker): Transport {
  return broker === 'activemq' ? stompTransport() : new AmqpTransport({ logger: new RecordingLogger() });
}

async function declareQueue(name: string, args: Record<string, unknown> = {}): Promise<void> {
  await management.request('PUT', management.path('queues', name), {
    durable: true,
    auto_delete: false,
    arguments: args,
  });
  cleanup.push(() => management.request('DELETE', management.path('queues', name)));
}

/** Writes a fixture into `dir` (at its own relative path) with its queue renamed to `queue`. */
async function placed(
  dir: string,
  path: string,
  queue: string,
  edit?: (text: string) => string,
): Promise<string> {
  const file = join(dir, path);
  await mkdir(dirname(file), { recursive: true });
  const text = fixture(path).split(QUEUE).join(queue);
  writeFileSync(file, edit ? edit(text) : text);
  return file;
}

describe.each(['activemq', 'rabbitmq'] as const)('dead-letter files on %s', (broker) => {
  let transport: Transport;
  let dir: string;

  beforeAll(async () => {
    await requireBroker(broker === 'activemq' ? 'stomp' : 'amqp');
  });

  beforeEach(async () => {
    transport = brokerTransport(broker);
    await transport.connect();
    dir = mkdtempSync(join(tmpdir(), `zocalo-pydlq-${broker}-`));
  });

  afterEach(async () => {
    await transport.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  async function receiveOne(queue: string): Promise<{ header: ReceivedHeaders; body: Buffer }> {
    const got: Array<{ header: ReceivedHeaders; body: Buffer }> = [];
    const id = await transport.subscribe(
      queue,
      (header, body) => void got.push({ header, body: body as Buffer }),
      {
        rawBytes: true,
      },
    );
    await waitFor(() => got.length > 0, `the message on ${queue}`, 15_000);
    await transport.unsubscribe(id);
    return got[0];
  }

  it("reinjects python-zocalo's file: the message arrives with its body, headers and dlq-reinjected", async () => {
    const queue = uniqueName('test.schlock.pydlq');
    if (broker === 'rabbitmq') await declareQueue(queue);
    const file = await placed(dir, PYTHON[broker], queue);
    const outcomes = await dlqReinject(transport, [file], { remove: true });
    expect(outcomes).toEqual([{ file, status: 'sent', queue, removed: true }]);
    expect(existsSync(file)).toBe(false);
    const { header, body } = await receiveOne(queue);
    expect(JSON.parse(body.toString('utf8'))).toEqual({
      payload: { n: 7, text: 'café ☃' },
      recipe: { '1': { queue, service: 'x' } },
      'recipe-pointer': 1,
    });
    expect(header['zocalo-test']).toBe('ref');
    expect(header['dlq-reinjected']).toBe('True');
    expect(header['workflows-recipe']).toBe(broker === 'activemq' ? 'True' : true);
    expect(header['x-death']).toBeUndefined();
  });

  it('purges a dead-letter queue into the file python-zocalo would write', async () => {
    const queue = uniqueName('test.schlock.pydlq');
    const dlq = broker === 'activemq' ? `DLQ.${queue}` : `dlq.${queue}`;
    const message = {
      payload: { n: 7, text: 'café ☃' },
      recipe: { '1': { queue, service: 'x' } },
      'recipe-pointer': 1,
    };
    if (broker === 'rabbitmq') {
      await declareQueue(dlq, { 'x-queue-type': 'quorum' });
      await declareQueue(queue, {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': dlq,
      });
    }
    await transport.send(queue, message, { headers: { 'workflows-recipe': true, 'zocalo-test': 'ref' } });
    if (broker === 'rabbitmq') {
      const rejected = await management.request('POST', `${management.path('queues', queue)}/get`, {
        count: 1,
        ackmode: 'reject_requeue_false',
        encoding: 'auto',
      });
      expect(rejected).toHaveLength(1);
    } else {
      // A STOMP NACK dead-letters at once.
      let nacked = false;
      const id = await transport.subscribe(
        queue,
        async (header) => {
          await transport.nack(header);
          nacked = true;
        },
        { acknowledgement: true },
      );
      await waitFor(() => nacked, 'the nack');
      await transport.unsubscribe(id);
    }
    const purged = await dlqPurge(transport, dlq, dir, { wait: 3 });
    expect(purged.files).toHaveLength(1);
    const path = relative(dir, purged.files[0]);
    expect(path).toMatch(
      broker === 'rabbitmq'
        ? /^\d{4}-\d{2}-\d{2}\/msg-\d{8}-\d{6}-000-\d+$/
        : /^\d{4}-\d{2}-\d{2}\/msg-\d{8}-\d{6}-\d{3}-ID_[A-Za-z0-9._-]+$/,
    );
    const text = readFileSync(purged.files[0], 'utf8');
    // Python's layout (json.dump with indent=2, sort_keys=True, no final newline), keys and value types:
    // the fixture's, value for value.
    expect(pyDumps(pyLoads(text), { indent: 2, sortKeys: true })).toBe(text);
    expect(skeleton(text)).toBe(skeleton(fixture(PYTHON[broker])));
    expect(pythonReinjectReads(text, broker).destination).toBe(queue);
    const header = dict(dict(pyLoads(text)).get('header'));
    if (broker === 'rabbitmq') {
      const first = dict((header.get('x-death') as PyValue[])[0]);
      expect(first.get('queue')).toBe(queue);
      expect(first.get('time')).toBeInstanceOf(PyFloat);
      expect(path).toContain(`-000-${String(header.get('message-id'))}`);
    } else {
      expect(header.get('original-destination')).toBe(`/queue/${queue}`);
    }
    // And back: our reinject sends it where it came from.
    expect((await dlqReinject(transport, purged.files))[0]).toMatchObject({ status: 'sent', queue });
    const back = await receiveOne(queue);
    expect(JSON.parse(back.body.toString('utf8'))).toEqual(message);
    expect(back.header['dlq-reinjected']).toBe('True');
  });

  it('still reinjects a file in the format our purge wrote before', async () => {
    const queue = uniqueName('test.schlock.pydlq');
    if (broker === 'rabbitmq') await declareQueue(queue);
    const file = await placed(dir, OURS_V1[broker], queue);
    expect((await dlqReinject(transport, [file]))[0]).toMatchObject({ status: 'sent', queue });
    const { header, body } = await receiveOne(queue);
    expect(body.toString('utf8')).toBe(
      `{"recipe":{"1":{"service":"x","queue":"${queue}"}},"recipe-pointer":1,"payload":{"n":7}}`,
    );
    expect(header['zocalo-test']).toBe('ours-v1');
    expect(header['dlq-reinjected']).toBe('True');
  });

  if (broker === 'rabbitmq') {
    it('broadcasts a message dead-lettered from a fanout exchange to that exchange', async () => {
      const exchange = uniqueName('test.schlock.pydlq.fanout');
      const bound = uniqueName('test.schlock.pydlq.bound');
      await management.request('PUT', management.path('exchanges', exchange), {
        type: 'fanout',
        durable: false,
      });
      cleanup.push(() => management.request('DELETE', management.path('exchanges', exchange)));
      await declareQueue(bound);
      await management.request(
        'POST',
        `/api/bindings/%2F/e/${encodeURIComponent(exchange)}/q/${encodeURIComponent(bound)}`,
        {
          routing_key: '',
        },
      );
      const file = await placed(dir, PYTHON.rabbitmq, bound, (text) =>
        text.replace(
          '"exchange": "",\n        "queue"',
          `"exchange": ${JSON.stringify(exchange)},\n        "queue"`,
        ),
      );
      const exchangeType = async (name: string): Promise<string | undefined> =>
        ((await management.request('GET', management.path('exchanges', name))) as { type: string }).type;
      const outcomes = await dlqReinject(transport, [file], { exchangeType });
      expect(outcomes).toEqual([{ file, status: 'sent', queue: exchange, broadcast: true }]);
      const { header } = await receiveOne(bound);
      expect(header.exchange).toBe(exchange);
      expect(header['dlq-reinjected']).toBe('True');
    });
  }
});
