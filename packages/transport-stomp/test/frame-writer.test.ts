/** Header escaping and the outgoing frame serialisation (no broker needed). */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { FrameWriter } from '../src/frame-writer';
import { escapeHeader11, escapeHeader12, headerEncoder } from '../src/header-escaping';

describe('header escaping', () => {
  it('escapes backslash, line feed, carriage return and colon in STOMP 1.2', () => {
    expect(escapeHeader12('plain value')).toBe('plain value');
    expect(escapeHeader12('a\\b\nc\rd:e')).toBe('a\\\\b\\nc\\rd\\ce');
    expect(escapeHeader12('\\n')).toBe('\\\\n');
  });

  it('leaves carriage returns alone in STOMP 1.1, which has no escape for them', () => {
    expect(escapeHeader11('a\\b\nc\rd:e')).toBe('a\\\\b\\nc\rd\\ce');
  });

  it('knows the versions it speaks', () => {
    expect(headerEncoder('1.2')).toBe(escapeHeader12);
    expect(headerEncoder('1.1')).toBe(escapeHeader11);
    expect(headerEncoder('2.0')).toBeUndefined();
  });
});

describe('frame writer', () => {
  /** A socket stand-in: what is written is recorded; `receive` plays bytes arriving from the broker. */
  function writer(): { frames: FrameWriter; output: () => string; receive: (text: string) => void } {
    const chunks: Buffer[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(Buffer.from(chunk));
        callback();
      },
    });
    socket.resume();
    const frames = new FrameWriter(socket as unknown as Socket);
    return {
      frames,
      output: () => Buffer.concat(chunks).toString('utf8'),
      receive: (text) => socket.push(Buffer.from(text)),
    };
  }

  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

  // ActiveMQ's Nagle delay (see FrameWriter.answerRead): a read nothing else answers gets an EOL.
  it('answers a read that nothing answers within the turn with one EOL, and no other', async () => {
    const { frames, output, receive } = writer();
    frames.setVersion('1.2');
    receive('RECEIPT\nreceipt-id:z1\n\n\0\n');
    receive('MESSAGE\n\n\0\n');
    await turn();
    expect(output()).toBe('\n');
    receive('MESSAGE\n\n\0\n');
    frames.frame('ACK', { id: '1' }).end();
    await turn();
    expect(output()).toBe('\nACK\nid:1\n\n\0\n');
  });

  it('does not escape CONNECT, escapes everything after the version is set, and writes once per turn', async () => {
    const { frames, output } = writer();
    frames.frame('CONNECT', { login: 'a:b', passcode: 'p' }).end();
    frames.setVersion('1.2');
    frames
      .frame('SEND', { destination: '/queue/q', 'x:y': 'line\nbreak', n: 3, skip: undefined })
      .end('body');
    frames.frame('ACK', { id: 'ID:1' }).end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(output()).toBe(
      'CONNECT\nlogin:a:b\npasscode:p\n\n\0\n' +
        'SEND\ndestination:/queue/q\nx\\cy:line\\nbreak\nn:3\n\nbody\0\n' +
        'ACK\nid:ID\\c1\n\n\0\n',
    );
  });

  it('writes Buffer bodies byte for byte', async () => {
    const { frames, output } = writer();
    frames.setVersion('1.2');
    const body = Buffer.from([0x7b, 0x00, 0xe2, 0x9c, 0x93, 0x7d]);
    frames.frame('SEND', { 'content-length': body.length }).end(body);
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.from(output(), 'utf8').includes(body)).toBe(true);
    expect(output().endsWith('\0\n')).toBe(true);
  });
});
