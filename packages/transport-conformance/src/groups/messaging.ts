import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** Point-to-point sends and subscriptions: bodies, headers, ordering, competing consumers. */
export function messagingTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('send and subscribe', () => {
    const harness = useHarness(options);

    it('delivers a JSON message with message-id and subscription in its header', async () => {
      const transport = await harness().connect();
      const queue = harness().name('send');
      const collector = harness().collector();
      const id = await transport.subscribe(queue, collector.callback);
      const message = { text: 'hello', numbers: [1, 2.5, -3], nested: { ok: true, none: null } };
      await transport.send(queue, message);
      const [delivery] = await collector.waitFor(1);
      expect(delivery.message).toEqual(message);
      expect(typeof delivery.header['message-id']).toBe('string');
      expect(delivery.header['message-id'].length).toBeGreaterThan(0);
      expect(Number(delivery.header.subscription)).toBe(id);
    });

    it('carries application headers through', async () => {
      const transport = await harness().connect();
      const queue = harness().name('headers');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      await transport.send(queue, 'body', {
        headers: { 'x-text': 'value with spaces', 'x-number': 42, 'x-flag': true, 'x-unicode': 'Größe ✓' },
      });
      const [{ header }] = await collector.waitFor(1);
      expect(String(header['x-text'])).toBe('value with spaces');
      expect(String(header['x-number'])).toBe('42');
      expect(String(header['x-flag'])).toBe('true');
      expect(String(header['x-unicode'])).toBe('Größe ✓');
    });

    it('carries header values of arbitrary text through: unicode, colons, line breaks, backslashes', async () => {
      const transport = await harness().connect();
      const queue = harness().name('headertext');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      const headers = {
        'x-colons': 'a:b::c: ',
        'x-lines': 'first\nsecond\r\nthird\n',
        'x-backslashes': 'C:\\path\\n not a newline \\c \\',
        'x-unicode': 'Ünïcödé 日本語 🧪 e\u0301 \u00a0',
        'x-json': '{"a": [1, "b:c"]}',
      };
      await transport.send(queue, 1, { headers });
      // Long multi-byte values, many at once: a header line that spans the reads of a socket must still
      // decode (a multi-byte character may be split between two reads).
      const long = '✓ü€'.repeat(600);
      for (let i = 0; i < 40; i++) await transport.rawSend(queue, String(i), { headers: { 'x-long': long } });
      const [{ header }, ...rest] = await collector.waitFor(41, Math.max(harness().timeout, 20000));
      for (const [name, value] of Object.entries(headers)) expect(header[name]).toBe(value);
      for (const delivery of rest) expect(delivery.header['x-long']).toBe(long);
    });

    it('keeps the order of messages to one consumer', async () => {
      const transport = await harness().connect();
      const queue = harness().name('order');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      const sends = [];
      for (let i = 0; i < 30; i++) sends.push(transport.send(queue, { i }));
      await Promise.all(sends);
      await collector.waitFor(30);
      expect(collector.messages).toEqual(Array.from({ length: 30 }, (_, i) => ({ i })));
    });

    it('gives each message to exactly one of competing consumers', async () => {
      const a = await harness().connect();
      const b = await harness().connect();
      const sender = await harness().connect();
      const queue = harness().name('competing');
      const first = harness().collector((header) => a.ack(header));
      const second = harness().collector((header) => b.ack(header));
      await a.subscribe(queue, first.callback, { acknowledgement: true });
      await b.subscribe(queue, second.callback, { acknowledgement: true });
      const total = 40;
      await Promise.all(Array.from({ length: total }, (_, i) => sender.send(queue, { i })));
      const deadline = Date.now() + harness().timeout;
      while (first.deliveries.length + second.deliveries.length < total && Date.now() < deadline) {
        await harness().quiet(20);
      }
      await harness().quiet();
      const seen = [...first.messages, ...second.messages].map((m) => (m as { i: number }).i);
      expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i));
    });

    it('keeps messages for a queue nobody consumes until a consumer comes', async () => {
      const transport = await harness().connect();
      const queue = harness().name('stored');
      await harness().declare(transport, queue);
      await transport.send(queue, { waited: 1 });
      await transport.send(queue, { waited: 2 });
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      await collector.waitFor(2);
      expect(collector.messages).toEqual([{ waited: 1 }, { waited: 2 }]);
    });

    it('stops delivering after unsubscribe', async () => {
      const transport = await harness().connect();
      const queue = harness().name('unsubscribe');
      const collector = harness().collector();
      const id = await transport.subscribe(queue, collector.callback);
      await transport.send(queue, { n: 1 });
      await collector.waitFor(1);
      await transport.unsubscribe(id);
      await transport.send(queue, { n: 2 });
      await harness().quiet();
      expect(collector.messages).toEqual([{ n: 1 }]);
      // The second message is still in the queue for the next consumer.
      const later = harness().collector();
      await transport.subscribe(queue, later.callback);
      await later.waitFor(1);
      expect(later.messages).toEqual([{ n: 2 }]);
    });

    it('rejects unsubscribing an unknown subscription with UnknownSubscriptionError', async () => {
      const transport = await harness().connect();
      await expectError(transport.unsubscribe(987654), 'UnknownSubscriptionError');
    });

    it('sends non-persistent messages too', async () => {
      const transport = await harness().connect();
      const queue = harness().name('nonpersistent');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      await transport.send(queue, { fleeting: true }, { persistent: false });
      await collector.waitFor(1);
      expect(collector.messages).toEqual([{ fleeting: true }]);
    });

    it('runs one callback at a time per subscription, waiting for returned promises', async () => {
      const transport = await harness().connect();
      const queue = harness().name('serial');
      let running = 0;
      let overlap = false;
      const collector = harness().collector(async (header) => {
        running++;
        if (running > 1) overlap = true;
        await new Promise((resolve) => setTimeout(resolve, 15));
        running--;
        await transport.ack(header);
      });
      // With room for several messages in flight, callbacks must still not overlap.
      const prefetch = transport.capabilities.prefetch ? 5 : undefined;
      await transport.subscribe(queue, collector.callback, { acknowledgement: true, prefetch });
      await Promise.all(Array.from({ length: 6 }, (_, i) => transport.send(queue, { i })));
      await collector.waitFor(6);
      expect(overlap).toBe(false);
    });
  });
}
