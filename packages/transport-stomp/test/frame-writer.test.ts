/** Header escaping and the outgoing frame serialisation (no broker needed). */
import { PassThrough } from 'node:stream';
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
  function writer(): { frames: FrameWriter; output: () => string } {
    const socket = new PassThrough();
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const frames = new FrameWriter(socket as unknown as Socket);
    return { frames, output: () => Buffer.concat(chunks).toString('utf8') };
  }

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
