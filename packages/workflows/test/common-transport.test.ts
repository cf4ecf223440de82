import { until } from '@zocalo/test-brokers';
import type { ReceivedHeaders, SubscriptionId, TransportEvent } from '../src';
import { InvalidArgumentError, MemoryBroker, MemoryTransport, RecordingLogger } from '../src';

/** Exposes the protected reconnect hooks, as a broker transport would use them. */
class ReconnectingTransport extends MemoryTransport {
  simulateReconnect(id: SubscriptionId): void {
    this.forgetDeliveries(this.subscriptions.get(id)!);
  }

  /** The connection dropped and reconnecting gave up: the broker takes back what was unacknowledged. */
  async simulateGivingUp(error: Error): Promise<void> {
    await this.disconnectBroker();
    this.connectionFailed(error);
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }
}

describe('CommonTransport', () => {
  it('runs send middleware outermost first and lets it change the message', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker(), logger: new RecordingLogger() });
    await transport.connect();
    const order: string[] = [];
    transport.use({
      name: 'outer',
      send: (outgoing, next) => {
        order.push('outer');
        return next({
          ...outgoing,
          options: { ...outgoing.options, headers: { ...outgoing.options.headers, traced: 'yes' } },
        });
      },
    });
    transport.use({
      name: 'inner',
      send: (outgoing, next) => {
        order.push('inner');
        return next({ ...outgoing, message: { wrapped: outgoing.message } });
      },
      receive: (incoming, next) => {
        order.push('receive');
        return next(incoming);
      },
    });
    const got: Array<[ReceivedHeaders, unknown]> = [];
    await transport.subscribe('mw', (header, message) => void got.push([header, message]));
    await transport.send('mw', 1);
    await until(() => got.length === 1);
    expect(order).toEqual(['outer', 'inner', 'receive']);
    expect(got[0][1]).toEqual({ wrapped: 1 });
    expect(got[0][0].traced).toBe('yes');
    await transport.disconnect();
  });

  it('rejects a send when middleware throws, and sends nothing', async () => {
    const broker = new MemoryBroker();
    const transport = new MemoryTransport({ broker, logger: new RecordingLogger() });
    await transport.connect();
    transport.use({
      send: () => {
        throw new Error('refused by middleware');
      },
    });
    await expect(transport.send('blocked', 1)).rejects.toThrow('refused by middleware');
    expect(broker.stats('blocked').depth).toBe(0);
    await transport.disconnect();
  });

  it('drops an ack for a delivery from before a reconnect, with a warning', async () => {
    const logger = new RecordingLogger();
    const broker = new MemoryBroker();
    const transport = new ReconnectingTransport({ broker, logger });
    await transport.connect();
    const got: ReceivedHeaders[] = [];
    const id = await transport.subscribe('stale', (header) => void got.push(header), {
      acknowledgement: true,
    });
    await transport.send('stale', 1);
    await until(() => got.length === 1);
    transport.simulateReconnect(id);
    await transport.ack(got[0]);
    expect(logger.records.some((r) => r.level === 'warn' && /ack dropped/.test(r.msg))).toBe(true);
    // The broker still holds it unacknowledged: the ack really was not passed on.
    expect(broker.stats('stale').inFlight).toBe(1);
    await transport.disconnect();
  });

  it('honours an ack made with a copy of the header, and drops one of an earlier delivery of the id', async () => {
    const logger = new RecordingLogger();
    const broker = new MemoryBroker();
    const transport = new MemoryTransport({ broker, logger });
    await transport.connect();
    const got: ReceivedHeaders[] = [];
    await transport.subscribe('copies', (header) => void got.push(header), { acknowledgement: true });
    await transport.send('copies', 1);
    await until(() => got.length === 1);
    await transport.nack(got[0], { requeue: true });
    await until(() => got.length === 2);
    // The same message id again: the first header object is from the earlier delivery, so stale.
    expect(got[1]['message-id']).toBe(got[0]['message-id']);
    expect(Object.keys(got[1])).not.toContain('zocalo.delivered');
    await transport.ack(got[0]);
    expect(logger.records.filter((r) => r.level === 'warn' && /ack dropped/.test(r.msg))).toHaveLength(1);
    expect(broker.stats('copies').inFlight).toBe(1);
    // A copy (as middleware or a wrapper may make) stands for the current delivery.
    await transport.ack({ ...got[1] });
    expect(broker.stats('copies').inFlight).toBe(0);
    await transport.disconnect();
  });

  it('ends cleanly when reconnecting gives up: event with the error, deliveries forgotten, disconnect a no-op', async () => {
    const logger = new RecordingLogger();
    const broker = new MemoryBroker();
    const transport = new ReconnectingTransport({ broker, logger });
    const events: TransportEvent[] = [];
    transport.onEvent((event) => events.push(event));
    await transport.connect();
    const got: ReceivedHeaders[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const id = await transport.subscribe(
      'givingup',
      (header) => {
        got.push(header);
        return held;
      },
      { acknowledgement: true, prefetch: 3 },
    );
    for (const n of [1, 2, 3]) await transport.send('givingup', n);
    // One delivery in the callback, two waiting in the subscription's backlog.
    await until(() => got.length === 1 && broker.stats('givingup').inFlight === 3);
    const reason = new Error('gave up reconnecting');
    await transport.simulateGivingUp(reason);
    expect(events.map((event) => event.type)).toEqual(['connected', 'disconnected']);
    expect(events[1]).toEqual({ type: 'disconnected', error: reason });
    expect(transport.isConnected()).toBe(false);
    expect(transport.subscriptionCount).toBe(0);
    // The broker has every message back; the backlog is not delivered when the callback finishes.
    expect(broker.stats('givingup')).toMatchObject({ depth: 3, inFlight: 0, consumers: 0 });
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toHaveLength(1);
    await expect(transport.ack(got[0])).rejects.toThrow(/while disconnected/);
    await expect(transport.unsubscribe(id)).rejects.toThrow(/no subscription/);
    await expect(transport.send('givingup', 4)).rejects.toThrow(/while disconnected/);
    // disconnect() afterwards is harmless: no error, no second event.
    await transport.disconnect();
    await transport.disconnect();
    expect(events).toHaveLength(2);
    // connect() starts afresh.
    await transport.connect();
    const again: unknown[] = [];
    await transport.subscribe(
      'givingup',
      (header, message) => {
        again.push(message);
        return transport.ack(header);
      },
      { acknowledgement: true },
    );
    await until(() => again.length === 3);
    expect(again).toEqual([1, 2, 3]);
    await transport.disconnect();
  });

  it('logs a failing callback without acknowledgement and keeps consuming', async () => {
    const logger = new RecordingLogger();
    const transport = new MemoryTransport({ broker: new MemoryBroker(), logger });
    await transport.connect();
    const got: unknown[] = [];
    await transport.subscribe('fails', (_header, message) => {
      got.push(message);
      if (message === 1) throw new Error('boom');
    });
    await transport.send('fails', 1);
    await transport.send('fails', 2);
    await until(() => got.length === 2);
    expect(logger.at('error')).toHaveLength(1);
    await transport.disconnect();
  });

  it('keeps notifying other listeners when one throws', async () => {
    const logger = new RecordingLogger();
    const transport = new MemoryTransport({ broker: new MemoryBroker(), logger });
    const events: TransportEvent['type'][] = [];
    transport.onEvent(() => {
      throw new Error('listener bug');
    });
    transport.onEvent((event) => events.push(event.type));
    await transport.connect();
    await transport.disconnect();
    expect(events).toEqual(['connected', 'disconnected']);
    expect(logger.at('error')).toHaveLength(2);
  });
});

/** Hands messages to subscriptions directly and records `handedOver`, as a broker transport sees it. */
class HandOverTransport extends MemoryTransport {
  readonly handed: string[] = [];

  inject(id: SubscriptionId, messageId: string): void {
    this.deliver(
      this.subscriptions.get(id)!,
      { 'message-id': messageId, subscription: id },
      `"${messageId}"`,
    );
  }

  forget(id: SubscriptionId, redelivered?: boolean): void {
    this.forgetDeliveries(this.subscriptions.get(id)!, redelivered);
  }

  protected override handedOver(_record: unknown, header: ReceivedHeaders): void {
    this.handed.push(header['message-id']);
  }
}

describe('CommonTransport, subscriptions without acknowledgement', () => {
  it('calls handedOver as each message goes to the callback, and counts the backlog', async () => {
    const transport = new HandOverTransport({ broker: new MemoryBroker(), logger: new RecordingLogger() });
    await transport.connect();
    const seen: Array<[unknown, string[]]> = [];
    let release: () => void = () => undefined;
    const id = await transport.subscribe('handover', (_header, message) => {
      seen.push([message, [...transport.handed]]);
      return new Promise<void>((resolve) => (release = resolve));
    });
    for (const messageId of ['a', 'b', 'c']) transport.inject(id, messageId);
    // 'a' is in the callback (handed over before it ran); 'b' and 'c' wait.
    expect(seen).toEqual([['a', ['a']]]);
    expect(transport.pendingDeliveries(id)).toBe(2);
    release();
    await until(() => seen.length === 2);
    expect(seen[1]).toEqual(['b', ['a', 'b']]);
    expect(transport.pendingDeliveries(id)).toBe(1);
    // Without acknowledgement the backlog stays after a reconnect, unless the broker redelivers it.
    transport.forget(id);
    expect(transport.pendingDeliveries(id)).toBe(1);
    transport.forget(id, true);
    expect(transport.pendingDeliveries(id)).toBe(0);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(transport.handed).toEqual(['a', 'b']);
    expect(transport.pendingDeliveries(999)).toBe(0);
    await transport.disconnect();
  });

  it('does not call handedOver for subscriptions with acknowledgement', async () => {
    const transport = new HandOverTransport({ broker: new MemoryBroker(), logger: new RecordingLogger() });
    await transport.connect();
    const got: unknown[] = [];
    const id = await transport.subscribe('handover.ack', (_header, message) => void got.push(message), {
      acknowledgement: true,
    });
    transport.inject(id, 'x');
    expect(got).toEqual(['x']);
    expect(transport.handed).toEqual([]);
    await transport.disconnect();
  });
});

describe('CommonTransport, bodies that are not valid UTF-8', () => {
  /** `{"a": "<0xff>", "b": "<0xc3>"}`: two invalid sequences in one body. */
  const invalid = Buffer.concat([
    Buffer.from('{"a": "'),
    Buffer.from([0xff]),
    Buffer.from('", "b": "'),
    Buffer.from([0xc3]),
    Buffer.from('"}'),
  ]);

  async function receiving(options: { disableMangling?: boolean; rawBytes?: boolean } = {}) {
    const logger = new RecordingLogger();
    const transport = new MemoryTransport({ broker: new MemoryBroker(), logger });
    await transport.connect();
    const got: Array<[ReceivedHeaders, unknown]> = [];
    await transport.subscribe('utf8', (header, message) => void got.push([header, message]), options);
    return { logger, transport, got };
  }

  const warning = (id: string) =>
    `message ${id} on utf8 is not valid UTF-8; invalid bytes were replaced by U+FFFD ` +
    '(subscribe with rawBytes to receive the bytes)';

  it('delivers the text with U+FFFD and logs one warning per message, naming its id and destination', async () => {
    const { logger, transport, got } = await receiving();
    await transport.rawSend('utf8', invalid);
    await transport.rawSend('utf8', invalid);
    await until(() => got.length === 2);
    expect(got.map(([, message]) => message)).toEqual([
      { a: '\uFFFD', b: '\uFFFD' },
      { a: '\uFFFD', b: '\uFFFD' },
    ]);
    const ids = got.map(([header]) => header['message-id']);
    expect(logger.at('warn')).toEqual(
      ids.map((id) => ({
        level: 'warn',
        msg: warning(id),
        fields: { messageId: id, destination: 'utf8', subscription: expect.any(Number) },
      })),
    );
    await transport.disconnect();
  });

  it('logs it for a subscription with mangling disabled too, and not for one with rawBytes', async () => {
    const text = await receiving({ disableMangling: true });
    await text.transport.rawSend('utf8', invalid);
    await until(() => text.got.length === 1);
    expect(text.got[0][1]).toBe('{"a": "\uFFFD", "b": "\uFFFD"}');
    expect(text.logger.messages('warn')).toEqual([warning(text.got[0][0]['message-id'])]);
    await text.transport.disconnect();

    const bytes = await receiving({ rawBytes: true });
    await bytes.transport.rawSend('utf8', invalid);
    await until(() => bytes.got.length === 1);
    expect(bytes.got[0][1]).toEqual(invalid);
    expect(bytes.logger.records).toEqual([]);
    await bytes.transport.disconnect();
  });

  it('logs nothing for a U+FFFD that was sent as such, nor for text bodies', async () => {
    const { logger, transport, got } = await receiving();
    await transport.rawSend('utf8', Buffer.from('{"a": "\uFFFD", "b": "é ✓ 𝄞"}'));
    await transport.rawSend('utf8', '"\uFFFD"');
    await transport.send('utf8', { s: '\uFFFD' });
    await until(() => got.length === 3);
    expect(got.map(([, message]) => message)).toEqual([
      { a: '\uFFFD', b: 'é ✓ 𝄞' },
      '\uFFFD',
      { s: '\uFFFD' },
    ]);
    expect(logger.records).toEqual([]);
    await transport.disconnect();
  });

  it('refuses a raw text with a lone surrogate, which UTF-8 cannot carry; send escapes it in JSON', async () => {
    const { logger, transport, got } = await receiving({ disableMangling: true });
    for (const body of ['a\uD800b', 'x\uDC00', '\uD83D']) {
      await expect(transport.rawSend('utf8', body)).rejects.toThrow(InvalidArgumentError);
      await expect(transport.rawBroadcast('utf8.topic', body)).rejects.toThrow(/lone surrogate/);
    }
    await expect(transport.rawSend('utf8', 'ok \uD800')).rejects.toThrow(
      'raw body is not valid Unicode: a lone surrogate (\\ud800) at index 3 cannot be encoded as UTF-8',
    );
    // A pair is fine, and so is JSON, which writes a lone surrogate as an escape.
    await transport.rawSend('utf8', '𝄞 \uD834\uDD1E');
    await transport.send('utf8', { s: 'a\uD800b' });
    await until(() => got.length === 2);
    expect(got.map(([, message]) => message)).toEqual(['𝄞 \uD834\uDD1E', '{"s":"a\\ud800b"}']);
    expect(logger.records).toEqual([]);
    await transport.disconnect();
  });
});
