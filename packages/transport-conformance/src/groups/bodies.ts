import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/**
 * Bytes no text decoding survives: NUL (in the middle, where STOMP would end a frame without
 * content-length), 0xff/0xfe (never valid UTF-8), a truncated multi-byte sequence, an overlong
 * encoding and a lone continuation byte.
 */
export const ARBITRARY_BYTES: Buffer = Buffer.from([
  0x00, 0xff, 0xfe, 0x41, 0x00, 0x42, 0xe2, 0x82, 0xc0, 0xaf, 0x80, 0xed, 0xa0, 0x80, 0x0a, 0x00, 0x0d, 0x0a,
  0x7b, 0x22, 0xf0, 0x9f, 0xa7, 0x00, 0xff,
]);

/** JSON mangling, raw bodies and bytes, unicode, large bodies, and bodies that are not JSON. */
export function bodyTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('bodies', () => {
    const harness = useHarness(options);

    it('passes a raw string body through unchanged to a raw subscriber', async () => {
      const transport = await harness().connect();
      const queue = harness().name('raw');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback, { disableMangling: true });
      const body = '{"not": "parsed"}  trailing text';
      await transport.rawSend(queue, body);
      await collector.waitFor(1);
      expect(collector.messages).toEqual([body]);
    });

    it('delivers JSON text to a raw subscriber when the sender mangled', async () => {
      const transport = await harness().connect();
      const queue = harness().name('rawjson');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback, { disableMangling: true });
      await transport.send(queue, { a: [1, 2] });
      await collector.waitFor(1);
      expect(typeof collector.messages[0]).toBe('string');
      expect(JSON.parse(collector.messages[0] as string)).toEqual({ a: [1, 2] });
    });

    it('parses a raw JSON body for a mangling subscriber', async () => {
      const transport = await harness().connect();
      const queue = harness().name('rawparse');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      await transport.rawSend(queue, '{"x": [true, null]}');
      await collector.waitFor(1);
      expect(collector.messages).toEqual([{ x: [true, null] }]);
    });

    it('delivers a body that is not JSON as the raw string, and keeps consuming', async () => {
      const transport = await harness().connect();
      const queue = harness().name('notjson');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      await transport.rawSend(queue, 'this is {not json');
      await transport.send(queue, { after: true });
      await collector.waitFor(2);
      expect(collector.messages).toEqual(['this is {not json', { after: true }]);
    });

    // Python keeps such integers exact (DLS ids reach 162182994129803994); a double would alter them.
    it('keeps integers beyond 2^53 exact through a service that passes the message on', async () => {
      const transport = await harness().connect();
      const input = harness().name('bigint');
      const output = harness().name('bigintout');
      const relay = harness().collector((_header, message) => transport.send(output, message));
      await transport.subscribe(input, relay.callback);
      const raw = harness().collector();
      await transport.subscribe(output, raw.callback, { disableMangling: true });
      await transport.rawSend(
        input,
        '{"dcid": 162182994129803994, "neg": [-9007199254740993], "small": 7, "text": "12345678901234567890"}',
      );
      await raw.waitFor(1);
      const passed = relay.messages[0] as Record<string, unknown>;
      expect(passed.dcid).toBe(162182994129803994n);
      expect(passed.small).toBe(7);
      expect(raw.messages).toEqual([
        '{"dcid":162182994129803994,"neg":[-9007199254740993],"small":7,"text":"12345678901234567890"}',
      ]);
    });

    it('sends a Buffer body as its bytes', async () => {
      const transport = await harness().connect();
      const queue = harness().name('buffer');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback, { disableMangling: true });
      await transport.rawSend(queue, Buffer.from('bytes ✓ ü', 'utf8'));
      await collector.waitFor(1);
      expect(collector.messages).toEqual(['bytes ✓ ü']);
    });

    it('round-trips arbitrary bytes to a rawBytes subscriber, byte-identical', async () => {
      const transport = await harness().connect();
      const queue = harness().name('rawbytes');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback, { rawBytes: true });
      await transport.rawSend(queue, ARBITRARY_BYTES);
      await transport.rawSend(queue, Buffer.alloc(0));
      await collector.waitFor(2);
      const [first, second] = collector.messages;
      expect(Buffer.isBuffer(first)).toBe(true);
      expect((first as Buffer).equals(ARBITRARY_BYTES)).toBe(true);
      expect(Buffer.isBuffer(second)).toBe(true);
      expect((second as Buffer).length).toBe(0);
    });

    it('keeps the bytes a rawBytes subscriber receives even if the sender reuses its Buffer', async () => {
      const transport = await harness().connect();
      const queue = harness().name('rawbytescopy');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback, { rawBytes: true, acknowledgement: true });
      const body = Buffer.from([1, 2, 3, 0, 4]);
      await transport.rawSend(queue, body);
      body.fill(9);
      const [{ header, message }] = await collector.waitFor(1);
      await transport.ack(header);
      expect(Buffer.from(message as Buffer)).toEqual(Buffer.from([1, 2, 3, 0, 4]));
    });

    it('delivers the UTF-8 bytes of the text to a rawBytes subscriber of JSON and string sends', async () => {
      const transport = await harness().connect();
      const queue = harness().name('rawbytesjson');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback, { rawBytes: true });
      const message = { text: 'Größe ✓ 🧪', list: [1, null, true] };
      await transport.send(queue, message);
      await transport.rawSend(queue, 'plain ✓ text');
      await collector.waitFor(2);
      const [json, text] = collector.messages as Buffer[];
      expect(Buffer.isBuffer(json)).toBe(true);
      expect(json.equals(Buffer.from(JSON.stringify(message), 'utf8'))).toBe(true);
      expect(text.equals(Buffer.from('plain ✓ text', 'utf8'))).toBe(true);
    });

    it('round-trips unicode: accents, CJK, emoji, combining marks, escapes', async () => {
      const transport = await harness().connect();
      const queue = harness().name('unicode');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      const message = {
        'schlüssel ключ 鍵': 'Ünïcödé — 日本語テキスト — 🧪🔬✨ — é (e\u0301)',
        escapes: 'line\nbreak\ttab "quotes" back\\slash \u0000 nul',
      };
      await transport.send(queue, message);
      await collector.waitFor(1);
      expect(collector.messages).toEqual([message]);
    });

    it('round-trips a 5 MB body', async () => {
      const transport = await harness().connect();
      const queue = harness().name('large');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      const chunk = 'abcdefghij0123456789ÄÖÜ✓'.repeat(64);
      const message = { data: chunk.repeat(Math.ceil((5 * 1024 * 1024) / chunk.length)) };
      await transport.send(queue, message);
      await collector.waitFor(1, Math.max(harness().timeout, 20000));
      expect((collector.messages[0] as typeof message).data.length).toBe(message.data.length);
      expect(collector.messages[0]).toEqual(message);
    }, 60000);

    it('rejects a message JSON cannot carry with InvalidArgumentError', async () => {
      const transport = await harness().connect();
      const queue = harness().name('unserialisable');
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expectError(transport.send(queue, circular), 'InvalidArgumentError');
      await expectError(transport.send(queue, undefined), 'InvalidArgumentError');
    });
  });
}
