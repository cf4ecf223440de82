/**
 * Hostile header names from the broker (any producer can send them, ActiveMQ forwards them) parse as
 * plain data, and a frame the parser cannot read is a stream error, never an uncaught exception.
 * No broker needed; activemq.test.ts sends the same frames through a real ActiveMQ.
 */
import IncomingFrameStream from 'stompit/lib/IncomingFrameStream.js';
import { useSafeHeaders } from '../src/header-parser';
import { useByteExactLines } from '../src/line-reader';
import { stompReceivedHeaders } from '../src/stomp-headers';

interface Frame {
  readonly command: string;
  readonly headers: Record<string, string | number>;
  readonly body: string;
}

type Parser = NodeJS.ReadWriteStream & { setVersion(version: string): boolean };

function parser(safe: boolean): Parser {
  const stream = new (IncomingFrameStream as unknown as new (options?: object) => Parser)({ maxHeaders: 4 });
  stream.setVersion('1.2');
  useByteExactLines(stream);
  if (safe) useSafeHeaders(stream);
  return stream;
}

/** Feed the text; resolve with the frames read, or reject with the stream's error. */
function parse(stream: Parser, text: string, count: number): Promise<Frame[]> {
  const frames: Frame[] = [];
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.on('data', (frame: NodeJS.ReadableStream & Omit<Frame, 'body'>) => {
      const chunks: Buffer[] = [];
      frame.on('data', (chunk: Buffer) => chunks.push(chunk));
      frame.on('end', () => {
        frames.push({
          command: frame.command,
          headers: frame.headers,
          body: Buffer.concat(chunks).toString(),
        });
        if (frames.length === count) resolve(frames);
      });
    });
    stream.write(Buffer.from(text, 'utf8'));
  });
}

const PROTOTYPE_NAMES = ['hasOwnProperty', '__proto__', 'constructor', 'toString', 'valueOf'];

describe('safe header parsing', () => {
  it.each(PROTOTYPE_NAMES)('reads a header named %s as data, and the headers after it', async (name) => {
    const frames = await parse(
      parser(true),
      `MESSAGE\n${name}:evil\nmessage-id:ID:1\nsubscription:1\n\n{"n":1}\0\nMESSAGE\nmessage-id:ID:2\n\nok\0\n`,
      2,
    );
    const [hostile, good] = frames;
    expect(Object.getPrototypeOf(hostile.headers)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(hostile.headers, name)?.value).toBe('evil');
    expect(hostile.headers['message-id']).toBe('ID:1');
    expect(hostile.body).toBe('{"n":1}');
    expect(good.headers['message-id']).toBe('ID:2');
    expect(good.body).toBe('ok');
    // And so in the header object a subscriber gets.
    const header = stompReceivedHeaders(hostile.headers, 1);
    expect(Object.getOwnPropertyDescriptor(header, name)?.value).toBe('evil');
    expect(header['message-id']).toBe('ID:1');
    expect(Object.getPrototypeOf(header)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).evil).toBeUndefined();
  });

  it('crashes stompit’s own parser on hasOwnProperty (why this exists)', () => {
    const stream = parser(false);
    expect(() => stream.write(Buffer.from('MESSAGE\nhasOwnProperty:x\nnext:y\n\n\0\n'))).toThrow(TypeError);
  });

  it('keeps an escape STOMP does not define as literal text instead of failing the frame', async () => {
    const [frame, next] = await parse(
      parser(true),
      'MESSAGE\nx:a\\tb\\nc\\\\d\nmessage-id:1\n\n\0\nMESSAGE\n\n\0\n',
      2,
    );
    expect(frame.headers.x).toBe('a\\tb\nc\\d');
    expect(frame.headers['message-id']).toBe('1');
    expect(next.command).toBe('MESSAGE');
  });

  it('keeps the first of repeated headers, as STOMP says', async () => {
    const [frame] = await parse(parser(true), 'MESSAGE\nx:first\nx:second\n\n\0\n', 1);
    expect(frame.headers.x).toBe('first');
  });

  it('turns a header line without a colon or too many headers into a stream error, not an exception', async () => {
    await expect(parse(parser(true), 'MESSAGE\nno colon here\n\n\0\n', 1)).rejects.toThrow(
      /header parse error/,
    );
    await expect(parse(parser(true), 'MESSAGE\na:1\nb:2\nc:3\nd:4\ne:5\n\n\0\n', 1)).rejects.toThrow(
      /too many headers/,
    );
  });
});
