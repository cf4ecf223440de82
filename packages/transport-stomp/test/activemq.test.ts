/**
 * The STOMP transport on the real ActiveMQ (scripts/brokers.sh): the wire format of the spec, the
 * broker's own features, nack semantics, header escaping and typed errors.
 */
import { connect as connectSocket } from 'node:net';
import type { Client } from 'stompit';
import type { MessageBody, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';
import { BROKERS, requireBroker, sleep, uniqueName, until } from '@zocalo/test-brokers';
import type { StompTransportOptions } from '../src';
import type { StompTransport } from '../src';
import { rawClient, rawClose, rawSend, rawSubscribe, stompTransport } from './helpers';

interface Delivery {
  readonly header: ReceivedHeaders;
  readonly message: MessageBody;
  readonly at: number;
}

const open: Transport[] = [];
const raw: Client[] = [];

async function connected(options: StompTransportOptions = {}): Promise<StompTransport> {
  const transport = stompTransport(options);
  open.push(transport);
  await transport.connect();
  return transport;
}

async function bare(): Promise<Client> {
  const client = await rawClient();
  raw.push(client);
  return client;
}

function collect(onMessage?: (delivery: Delivery) => void | Promise<void>) {
  const deliveries: Delivery[] = [];
  return {
    deliveries,
    callback: (header: ReceivedHeaders, message: MessageBody) => {
      const delivery = { header, message, at: Date.now() };
      deliveries.push(delivery);
      return onMessage?.(delivery);
    },
    wait: (count: number, timeout = 5000) =>
      until(() => deliveries.length >= count, timeout, `${count} message(s), got ${deliveries.length}`),
  };
}

beforeAll(async () => {
  await requireBroker('stomp');
});

afterEach(async () => {
  for (const transport of open.splice(0)) await transport.disconnect().catch(() => undefined);
  for (const client of raw.splice(0)) await rawClose(client).catch(() => undefined);
});

describe('wire format (compatibility with python-workflows)', () => {
  it('sends what Python sends: destination, persistent, content-length, text headers', async () => {
    const transport = await connected();
    const client = await bare();
    const queue = uniqueName('zocalo.stomp.wire');
    const frames = await rawSubscribe(client, `/queue/${queue}`);
    await transport.send(queue, { payload: 1 }, { headers: { 'workflows-recipe': true, attempt: 2 } });
    await until(() => frames.length === 1, 5000, 'the frame');
    const { headers, body } = frames[0];
    expect(body).toBe('{"payload":1}');
    expect(headers).toMatchObject({
      destination: `/queue/${queue}`,
      persistent: 'true',
      priority: '4',
      expires: '0',
      'workflows-recipe': 'true',
      attempt: '2',
      'content-length': 13,
    });
    expect(String(headers['message-id'])).toMatch(/^ID:/);
  });

  it('receives what Python sends: workflows-recipe as the text "True", broker headers kept', async () => {
    const transport = await connected();
    const client = await bare();
    const queue = uniqueName('zocalo.stomp.frompython');
    const received = collect();
    const id = await transport.subscribe(queue, received.callback);
    const body = '{"recipe": {"1": {"service": "x", "queue": "y"}, "start": [[1, []]]}, "recipe-pointer": 1}';
    await rawSend(
      client,
      {
        destination: `/queue/${queue}`,
        persistent: 'true',
        'workflows-recipe': 'True',
        'content-length': String(body.length),
      },
      body,
    );
    await received.wait(1);
    const [{ header, message }] = received.deliveries;
    expect(header['workflows-recipe']).toBe('True');
    expect(header.subscription).toBe(id);
    expect(header.destination).toBe(`/queue/${queue}`);
    expect(header.redelivered).toBe(false);
    expect(header.persistent).toBe('true');
    expect(header['message-id']).toMatch(/^ID:/);
    expect(typeof header.timestamp).toBe('string');
    expect(message).toEqual(JSON.parse(body));
  });

  it('receives a body that is not valid UTF-8 with U+FFFD, with one warning naming the message', async () => {
    const logger = new RecordingLogger();
    const transport = await connected({ logger });
    const client = await bare();
    const queue = uniqueName('zocalo.stomp.utf8');
    const received = collect();
    const bytes = collect();
    await transport.subscribe(queue, received.callback);
    await transport.subscribe(`${queue}.bytes`, bytes.callback, { rawBytes: true });
    // As a Python producer sending bytes would: two invalid sequences in one body.
    const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xc3, 0x22, 0x7d]);
    for (const destination of [queue, `${queue}.bytes`]) {
      await new Promise<void>((resolve) => {
        const headers = { destination: `/queue/${destination}`, 'content-length': String(body.length) };
        client.send(headers, { onReceipt: resolve } as never).end(body);
      });
    }
    await Promise.all([received.wait(1), bytes.wait(1)]);
    expect(received.deliveries[0].message).toEqual({ a: '\uFFFD\uFFFD' });
    expect(bytes.deliveries[0].message).toEqual(body);
    const id = received.deliveries[0].header['message-id'];
    expect(logger.at('warn')).toEqual([
      {
        level: 'warn',
        msg:
          `message ${id} on ${queue} is not valid UTF-8; invalid bytes were replaced by U+FFFD ` +
          '(subscribe with rawBytes to receive the bytes)',
        fields: expect.objectContaining({ messageId: id, destination: queue }),
      },
    ]);
  });

  it('puts the namespace prefix in front of queue and topic names', async () => {
    const prefix = uniqueName('zocalo.ns');
    const namespaced = await connected({ prefix });
    const plain = await connected();
    const onQueue = collect();
    const onTopic = collect();
    await plain.subscribe(`${prefix}.jobs`, onQueue.callback);
    await plain.subscribeBroadcast(`${prefix}.news`, onTopic.callback);
    await namespaced.send('jobs', { n: 1 });
    await namespaced.broadcast('news', { n: 2 });
    await Promise.all([onQueue.wait(1), onTopic.wait(1)]);
    expect(onQueue.deliveries[0].header.destination).toBe(`/queue/${prefix}.jobs`);
    expect(onTopic.deliveries[0].header.destination).toBe(`/topic/${prefix}.news`);
    // And back: a namespaced subscriber sees its own names.
    const back = collect();
    await namespaced.subscribe('replies', back.callback);
    await plain.send(`${prefix}.replies`, 'hello');
    await back.wait(1);
  });
});

describe('ActiveMQ features', () => {
  it('honours delay with AMQ_SCHEDULED_DELAY', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.delay');
    const received = collect();
    await transport.subscribe(queue, received.callback);
    const sent = Date.now();
    await transport.send(queue, { late: true }, { delay: 1.2 });
    await transport.send(queue, { early: true });
    await received.wait(2, 6000);
    expect(received.deliveries.map((delivery) => delivery.message)).toEqual([
      { early: true },
      { late: true },
    ]);
    expect(received.deliveries[1].at - sent).toBeGreaterThanOrEqual(1190);
  });

  it('sends expiration as an absolute expires in epoch milliseconds', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.expires');
    const received = collect();
    await transport.subscribe(queue, received.callback);
    const before = Date.now();
    await transport.send(queue, 1, { expiration: 30 });
    await received.wait(1);
    const expires = Number(received.deliveries[0].header.expires);
    expect(expires).toBeGreaterThanOrEqual(before + 30000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 30000);
  });

  it('filters with a JMS selector on the broker', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.selector');
    const received = collect();
    await transport.subscribe(queue, received.callback, { selector: "colour = 'red' AND size > 2" });
    await transport.send(queue, 1, { headers: { colour: 'red', size: 1 } });
    await transport.send(queue, 2, { headers: { colour: 'blue', size: 5 } });
    await transport.send(queue, 3, { headers: { colour: 'red', size: 5 } });
    await received.wait(1);
    await sleep(300);
    expect(received.deliveries.map((delivery) => delivery.message)).toEqual([3]);
  });

  it('gives an exclusive consumer every message while it lives, then the next one takes over', async () => {
    const first = await connected();
    const second = await connected();
    const queue = uniqueName('zocalo.stomp.exclusive');
    const a = collect(({ header }) => first.ack(header));
    const b = collect(({ header }) => second.ack(header));
    const id = await first.subscribe(queue, a.callback, {
      exclusive: true,
      acknowledgement: true,
      prefetch: 1,
    });
    await second.subscribe(queue, b.callback, { exclusive: true, acknowledgement: true, prefetch: 1 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => second.send(queue, { i })));
    await a.wait(20);
    expect(b.deliveries).toHaveLength(0);
    await first.unsubscribe(id);
    await second.send(queue, { i: 20 });
    await b.wait(1);
    expect(b.deliveries.map((delivery) => delivery.message)).toEqual([{ i: 20 }]);
  });

  it('redelivers a message nacked with requeue, marked redelivered, with a rising JMSXDeliveryCount', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.requeue');
    const received = collect(async ({ header }) => {
      if (received.deliveries.length < 3) await transport.nack(header, { requeue: true });
    });
    const id = await transport.subscribe(queue, received.callback, { acknowledgement: true });
    await transport.send(queue, { poison: 'maybe' }, { headers: { 'x-origin': 'test' } });
    await received.wait(3);
    expect(received.deliveries.map((delivery) => delivery.header.redelivered)).toEqual([false, true, true]);
    expect(received.deliveries.every((delivery) => delivery.header['x-origin'] === 'test')).toBe(true);
    // Three deliveries, then released once more by unsubscribing. STOMP frames do not carry
    // JMSXDeliveryCount, but selectors see it (this is how Schlockmeister finds poison). With
    // persistJMSRedelivered (scripts/brokers/activemq.xml) the broker counts each dispatch in its store
    // before it happens, so the count is one ahead of the releases: 5 here, not 4.
    await transport.unsubscribe(id);
    const tooHigh = collect();
    const probe = await transport.subscribe(queue, tooHigh.callback, {
      acknowledgement: true,
      selector: 'JMSXDeliveryCount >= 6',
    });
    await sleep(300);
    await transport.unsubscribe(probe);
    expect(tooHigh.deliveries).toHaveLength(0);
    const poison = collect(({ header }) => transport.ack(header));
    await transport.subscribe(queue, poison.callback, {
      acknowledgement: true,
      selector: 'JMSXDeliveryCount >= 5',
    });
    await poison.wait(1);
    expect(poison.deliveries[0].message).toEqual({ poison: 'maybe' });
  });

  it('releases a message on nack with requeue only once the others in hand are settled, so none is processed twice', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.release');
    const held: ReceivedHeaders[] = [];
    const received = collect(({ header }) => {
      held.push(header);
    });
    await transport.subscribe(queue, received.callback, { acknowledgement: true, prefetch: 10 });
    await Promise.all([1, 2, 3].map((n) => transport.send(queue, { n })));
    await received.wait(3);
    // Reopening the subscription now would release 2 and 3 as well, which are still being processed.
    await transport.nack(held[0], { requeue: true });
    // Arrives while the release waits: held back (never handed over) and released with it.
    await transport.send(queue, { n: 4 });
    await sleep(500);
    expect(received.deliveries).toHaveLength(3);
    await transport.ack(held[1]);
    await sleep(300);
    expect(received.deliveries).toHaveLength(3);
    await transport.ack(held[2]);
    await received.wait(5);
    await sleep(500);
    const again = received.deliveries.slice(3);
    expect(again.map((delivery) => delivery.message)).toEqual([{ n: 1 }, { n: 4 }]);
    expect(again.every((delivery) => delivery.header.redelivered === true)).toBe(true);
    expect(received.deliveries).toHaveLength(5);
    for (const delivery of again) await transport.ack(delivery.header);
  });

  it('dead-letters a plain nack to DLQ.<queue> at once, with its headers', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.dlq');
    const received = collect(({ header }) => transport.nack(header));
    await transport.subscribe(queue, received.callback, { acknowledgement: true });
    await transport.send(queue, { bad: true }, { headers: { 'workflows-recipe': true } });
    await received.wait(1);
    const dead = collect(({ header }) => transport.ack(header));
    await transport.subscribe(`DLQ.${queue}`, dead.callback, { acknowledgement: true });
    await dead.wait(1);
    expect(dead.deliveries[0].message).toEqual({ bad: true });
    expect(dead.deliveries[0].header['workflows-recipe']).toBe('true');
    expect(received.deliveries).toHaveLength(1);
  });
});

describe('header escaping', () => {
  it('carries newlines, colons, backslashes and carriage returns in values and names without injecting headers', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.inject');
    const hijack = uniqueName('zocalo.stomp.hijack');
    const received = collect();
    const stolen = collect();
    await transport.subscribe(queue, received.callback);
    await transport.subscribe(hijack, stolen.callback);
    const headers = {
      'x-attack': `ok\ndestination:/queue/${hijack}\npersistent:false\n\nbody`,
      'x-colon': 'a:b::c',
      'x-backslash': 'c:\\new\\nline\\',
      'x-cr': 'line\r\nbreak\r',
      'x-nul': 'a\u0000b',
      'name:with\nnewline': 'value',
    };
    await transport.send(queue, { safe: true }, { headers });
    await received.wait(1);
    await sleep(200);
    const [{ header, message }] = received.deliveries;
    expect(message).toEqual({ safe: true });
    for (const [name, value] of Object.entries(headers)) expect(header[name]).toBe(value);
    expect(header.destination).toBe(`/queue/${queue}`);
    expect(header.persistent).toBe('true');
    expect(stolen.deliveries).toHaveLength(0);
  });
});

describe('typed errors', () => {
  it('rejects an invalid selector with a BrokerError carrying the broker’s message', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.badselector');
    const error = await transport
      .subscribe(queue, () => undefined, { selector: "colour = = 'x" })
      .then(
        () => undefined,
        (failure: Error) => failure,
      );
    expect(error?.name).toBe('BrokerError');
    expect(error?.message).toMatch(/InvalidSelectorException/);
    // The transport carries on.
    const received = collect();
    await transport.subscribe(queue, received.callback);
    await transport.send(queue, 'fine');
    await received.wait(1);
  });

  it('takes header names such as hasOwnProperty and __proto__ from a raw producer as data, and keeps consuming', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.hostile');
    const received = collect(({ header }) => transport.ack(header));
    await transport.subscribe(queue, received.callback, { acknowledgement: true });
    const names = ['hasOwnProperty', '__proto__', 'constructor', 'toString', 'valueOf'];
    // Bytes on a socket of our own, not through any client: what any producer can send.
    const socket = connectSocket({ host: BROKERS.stomp.host, port: BROKERS.stomp.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
    });
    socket.write('CONNECT\naccept-version:1.2\nhost:localhost\nlogin:admin\npasscode:password\n\n\0');
    const hostile = names.map((name) => `${name}:evil-${name}\n`).join('');
    const send = (headers: string, body: string): string =>
      `SEND\ndestination:/queue/${queue}\n${headers}content-length:${Buffer.byteLength(body)}\n\n${body}\0`;
    socket.write(send(hostile, '{"bad":true}'));
    socket.write(send('receipt:done\n', '{"good":1}'));
    await until(() => answer.includes('receipt-id:done'), 5000, 'the raw producer’s receipt');
    socket.end('DISCONNECT\n\n\0');
    await received.wait(2);
    const [first, second] = received.deliveries;
    for (const name of names) {
      expect(Object.getOwnPropertyDescriptor(first.header, name)?.value).toBe(`evil-${name}`);
    }
    expect(first.message).toEqual({ bad: true });
    expect(second.message).toEqual({ good: 1 });
    // The transport still works: nothing was thrown out of the socket handler.
    await transport.send(queue, { after: true });
    await received.wait(3);
  });

  it('refuses a destination with a comma (an ActiveMQ composite destination) and sends it nowhere', async () => {
    const transport = await connected();
    const first = uniqueName('zocalo.stomp.comma');
    const second = uniqueName('zocalo.stomp.comma');
    const received = collect();
    await transport.subscribe(first, received.callback);
    await transport.subscribe(second, received.callback);
    // Also when a send middleware makes the name: the check runs after it.
    const middle = await connected();
    middle.use({ send: (outgoing, next) => next({ ...outgoing, destination: `${first},${second}` }) });
    const attempts: Array<Promise<unknown>> = [
      transport.send(`${first},${second}`, 1),
      transport.rawSend(`${first},${second}`, '1'),
      transport.broadcast(`${first},${second}`, 1),
      transport.subscribe(`${first},${second}`, () => undefined),
      transport.subscribeBroadcast(`${first},${second}`, () => undefined),
      middle.send(first, 1),
    ];
    for (const outcome of await Promise.allSettled(attempts)) {
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason.name).toBe('InvalidArgumentError');
      expect(reason.message).toMatch(
        /^stomp transport: (queue|topic) name ".*" contains a comma\. ActiveMQ treats a comma as a composite destination: /,
      );
    }
    await transport.send(first, 'after');
    await received.wait(1);
    await sleep(300);
    expect(received.deliveries.map((delivery) => delivery.message)).toEqual(['after']);
  });

  it('refuses at the sender what ActiveMQ would refuse, and the good sends beside it all arrive', async () => {
    const transport = await connected();
    const events: string[] = [];
    transport.onEvent((event) => events.push(event.type));
    const queue = uniqueName('zocalo.stomp.refused');
    const received = collect();
    await transport.subscribe(queue, received.callback);
    const manyHeaders = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`h${i}`, i]));
    const bad: Array<Promise<void>> = [
      transport.send(queue, 'long', { headers: { big: 'x'.repeat(20000) } }),
      transport.send(queue, 'escaped', { headers: { big: '\n'.repeat(5200) } }), // 10,400 bytes escaped
      transport.send(queue, 'many', { headers: manyHeaders }),
      transport.send(queue, 'empty name', { headers: { '': 'x' } }),
      transport.rawSend(queue, Buffer.alloc(104857601)),
    ];
    const good = Array.from({ length: 30 }, (_, n) => transport.send(queue, n));
    const outcomes = await Promise.allSettled(bad);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason.name).toBe('MessageRefusedError');
      expect(reason.message).toMatch(/refused before sending/);
    }
    await Promise.all(good);
    await received.wait(30);
    await sleep(300);
    expect(received.deliveries.map((delivery) => delivery.message)).toEqual(
      Array.from({ length: 30 }, (_, n) => n),
    );
    expect(events).toEqual([]);
  });

  it('rejects a send the broker refuses anyway (limits raised above its own) with a BrokerError, and recovers', async () => {
    const transport = await connected({ maxHeaderLength: 1_000_000 });
    const queue = uniqueName('zocalo.stomp.refused');
    const error = await transport.send(queue, 1, { headers: { big: 'x'.repeat(20000) } }).then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error?.name).toBe('BrokerError');
    expect(error?.message).toMatch(/maximum header length/);
    const received = collect();
    await transport.subscribe(queue, received.callback);
    await transport.send(queue, 2);
    await received.wait(1);
    expect(received.deliveries[0].message).toBe(2);
  });
});

describe('transactions', () => {
  it('keeps sends and acks of a transaction on the connection of its first use', async () => {
    const transport = await connected();
    const queue = uniqueName('zocalo.stomp.txbind');
    const received = collect();
    await transport.subscribe(queue, received.callback, { acknowledgement: true });
    await transport.send(queue, 1);
    await received.wait(1);
    const transaction = await transport.transactionBegin();
    await transport.send(queue, 2, { transaction });
    const error = await transport.ack(received.deliveries[0].header, { transaction }).then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error?.name).toBe('InvalidArgumentError');
    expect(error?.message).toMatch(/begin it with \{ subscription \}/);
    await transport.transactionCommit(transaction);
    await received.wait(2);
  });

  it('binds an unbound transaction to the subscription of its first ack, sends included', async () => {
    const transport = await connected();
    const input = uniqueName('zocalo.stomp.txin');
    const output = uniqueName('zocalo.stomp.txout');
    const results = collect();
    await transport.subscribe(output, results.callback);
    const work = collect();
    await transport.subscribe(input, work.callback, { acknowledgement: true });
    await transport.send(input, { job: 1 });
    await work.wait(1);
    const transaction = await transport.transactionBegin();
    await transport.ack(work.deliveries[0].header, { transaction });
    await transport.send(output, { result: 1 }, { transaction });
    await sleep(200);
    expect(results.deliveries).toHaveLength(0);
    await transport.transactionCommit(transaction);
    await results.wait(1);
  });
});

describe('receipts', () => {
  it('confirms each send with its own receipt in "every" mode', async () => {
    const transport = await connected({ receipts: 'every' });
    const queue = uniqueName('zocalo.stomp.every');
    const received = collect();
    await transport.subscribe(queue, received.callback);
    await Promise.all(Array.from({ length: 50 }, (_, i) => transport.send(queue, { i })));
    await received.wait(50);
    expect(received.deliveries.map((delivery) => (delivery.message as { i: number }).i)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});

describe('heart-beating', () => {
  it('keeps an idle connection up with heart-beats both ways', async () => {
    // Idle for over three intervals: without beats both ways, ActiveMQ would drop us after one interval
    // (its grace multiplier is 1) and we would drop it after two. 1 s rather than 0.5 s: a 0.5 s event
    // loop stall on a loaded CI machine already counted as silence.
    const transport = await connected({ heartbeat: 1 });
    const events: string[] = [];
    transport.onEvent((event) => events.push(event.type));
    const queue = uniqueName('zocalo.stomp.idle');
    const received = collect();
    await transport.subscribe(queue, received.callback);
    await sleep(3500);
    await transport.send(queue, 'still here');
    await received.wait(1);
    expect(events).toEqual([]);
  });
});
