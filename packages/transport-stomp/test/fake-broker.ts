/**
 * A scripted STOMP server on a random local port, for what a real ActiveMQ will not do on demand:
 * refuse a login, speak only STOMP 1.0, never answer, or stop confirming frames (a stall).
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer } from 'node:net';

export type FakeBehaviour =
  /** Answer CONNECT with an ERROR frame, as ActiveMQ does for a bad password, and close. */
  | 'refuse-login'
  /** Answer CONNECT as a STOMP 1.0 server. */
  | 'stomp-1.0'
  /** Accept the TCP connection and never say anything. */
  | 'mute'
  /** Log in (STOMP 1.2, no heart-beats), then never answer a frame: receipts never come. */
  | 'stall'
  /** Log in (STOMP 1.2, no heart-beats) and answer every frame that asks for a receipt. */
  | 'receipts'
  /**
   * Log in (STOMP 1.2) agreeing to the client's heart-beats both ways, then never send a byte; record
   * when the client's heart-beats (bare EOLs) arrive.
   */
  | 'silent-heartbeats';

export interface FakeBroker {
  readonly port: number;
  /** Frames received, as text. */
  readonly frames: string[];
  /** When each heart-beat (an EOL between frames) arrived, in ms since the epoch. */
  readonly beats: number[];
  close(): Promise<void>;
}

export async function fakeBroker(behaviour: FakeBehaviour): Promise<FakeBroker> {
  const frames: string[] = [];
  const beats: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let silent = false;
    socket.on('data', (data) => {
      if (silent) {
        // Logged in and idle: all the client sends now is heart-beats.
        for (const _eol of data.toString('utf8').matchAll(/\n/g)) beats.push(Date.now());
        return;
      }
      buffer += data.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\0')) >= 0) {
        const frame = buffer.slice(0, end).replace(/^\n+/, '');
        buffer = buffer.slice(end + 1);
        frames.push(frame);
        if (!frame.startsWith('CONNECT')) {
          const receipt = /\nreceipt:([^\n]*)/.exec(frame)?.[1];
          if (behaviour === 'receipts' && receipt !== undefined) {
            socket.write(`RECEIPT\nreceipt-id:${receipt}\n\n\0\n`);
          }
          continue;
        }
        if (behaviour === 'refuse-login') {
          socket.end(
            'ERROR\ncontent-type:text/plain\nmessage:User name [nobody] or password is invalid.\n\n' +
              'User name [nobody] or password is invalid.\0\n',
          );
        } else if (behaviour === 'stomp-1.0') {
          socket.write('CONNECTED\nsession:fake\n\n\0\n');
        } else if (behaviour === 'stall' || behaviour === 'receipts') {
          socket.write('CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:Fake/1.0\n\n\0\n');
        } else if (behaviour === 'silent-heartbeats') {
          const asked = /\nheart-beat:(\d+),(\d+)/.exec(frame);
          socket.write(
            `CONNECTED\nversion:1.2\nheart-beat:${asked?.[2] ?? 0},${asked?.[1] ?? 0}\nserver:Fake/1.0\n\n\0`,
          );
          silent = true;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    frames,
    beats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
