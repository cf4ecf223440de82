/** Incoming header lines decoded byte-exactly, however the socket splits them (no broker needed). */
import IncomingFrameStream from 'stompit/lib/IncomingFrameStream.js';
import { useByteExactLines } from '../src/line-reader';

interface Frame {
  readonly command: string;
  readonly headers: Record<string, string | number>;
  readonly body: Buffer;
}

/** Feed the bytes to a parser in the given pieces; resolve with the frames it read. */
function parse(pieces: Buffer[], count: number): Promise<Frame[]> {
  const stream = new (
    IncomingFrameStream as unknown as new () => NodeJS.ReadWriteStream & {
      setVersion(version: string): boolean;
    }
  )();
  stream.setVersion('1.2');
  useByteExactLines(stream);
  const frames: Frame[] = [];
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.on('data', (frame: NodeJS.ReadableStream & Omit<Frame, 'body'>) => {
      const chunks: Buffer[] = [];
      frame.on('data', (chunk: Buffer) => chunks.push(chunk));
      frame.on('end', () => {
        frames.push({ command: frame.command, headers: frame.headers, body: Buffer.concat(chunks) });
        if (frames.length === count) resolve(frames);
      });
    });
    for (const piece of pieces) stream.write(piece);
  });
}

describe('byte-exact header lines', () => {
  const value = 'aé✓🧪b\\cc\\nd';
  const frame = Buffer.concat([
    Buffer.from(`MESSAGE\r\nx-u:${value}\r\ncontent-length:4\n\n`, 'utf8'),
    Buffer.from([0, 0xff, 0, 0x0a]),
    Buffer.from('\0\n', 'utf8'),
  ]);

  it('decodes a multi-byte character split between two reads, at every split point', async () => {
    for (let cut = 1; cut < frame.length; cut++) {
      const [parsed] = await parse([frame.subarray(0, cut), frame.subarray(cut)], 1);
      expect(parsed.command).toBe('MESSAGE');
      expect(parsed.headers['x-u']).toBe('aé✓🧪b:c\nd');
      expect(parsed.body).toEqual(Buffer.from([0, 0xff, 0, 0x0a]));
    }
  });

  it('reads frames fed one byte at a time', async () => {
    const bytes = Buffer.concat([frame, frame]);
    const pieces = [...bytes].map((byte) => Buffer.from([byte]));
    const frames = await parse(pieces, 2);
    expect(frames.map((parsed) => parsed.headers['x-u'])).toEqual(['aé✓🧪b:c\nd', 'aé✓🧪b:c\nd']);
  });
});
