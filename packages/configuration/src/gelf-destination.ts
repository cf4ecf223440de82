/**
 * A pino destination that sends each record to Graylog as GELF: over UDP (zlib-compressed by
 * default, as graypy, chunked above `chunkSize`) or over TCP (uncompressed, each message ended by a null byte,
 * one long-lived connection that reconnects with back-off). The host name is looked up once, as
 * python-zocalo's graylog handlers do. Logging never fails because Graylog is away: records are
 * queued (TCP, up to a limit) or dropped, and one line on stderr says so.
 */
import { lookup } from 'node:dns/promises';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import { deflateSync } from 'node:zlib';
import { GELF_MAX_CHUNK_SIZE, gelfChunks, gelfFromRecord } from './gelf';
import type { GraylogSettings } from './graylog-settings';

/** Default datagram size: graypy's WAN chunk size, safe below a 1500-byte MTU. */
export const DEFAULT_CHUNK_SIZE = 1420;
/** Records a TCP destination keeps while Graylog cannot be reached; older ones are dropped. */
export const TCP_QUEUE_LIMIT = 10_000;

/** A stream pino can write JSON lines to, and close. */
export interface GelfDestination {
  /** A JSON line from pino. */
  write(line: string): boolean;
  /** Send what is queued (waiting up to `timeoutMs`), then close the socket. */
  close(timeoutMs?: number): Promise<void>;
  readonly settings: GraylogSettings;
}

interface Sender {
  send(payload: Buffer): void;
  close(timeoutMs: number): Promise<void>;
}

function complain(settings: GraylogSettings, what: string): void {
  process.stderr.write(`zocalo: Graylog ${settings.protocol} ${settings.host}:${settings.port}: ${what}\n`);
}

function udpSender(settings: GraylogSettings): Sender {
  let socket: UdpSocket | undefined;
  let target: Promise<string> | undefined;
  let pending = 0;
  let idle: (() => void) | undefined;
  let complained = false;
  let closed = false;
  const done = () => {
    pending--;
    if (pending === 0) idle?.();
  };
  const open = (): Promise<string> =>
    (target ??= lookup(settings.host).then(
      ({ address, family }) => {
        socket = createSocket(family === 6 ? 'udp6' : 'udp4');
        socket.on('error', (error) => complain(settings, error.message));
        socket.unref();
        return address;
      },
      () => {
        socket = createSocket('udp4');
        socket.on('error', (error) => complain(settings, error.message));
        socket.unref();
        return settings.host; // let every send look it up, as graypy does when the lookup fails
      },
    ));
  return {
    send(payload) {
      if (closed) return;
      const data = settings.compress === false ? payload : deflateSync(payload);
      const chunks = gelfChunks(
        data,
        Math.min(settings.chunkSize ?? DEFAULT_CHUNK_SIZE, GELF_MAX_CHUNK_SIZE),
      );
      if (chunks.length === 0) {
        complain(settings, `message of ${data.length} bytes is too large for GELF over UDP; dropped`);
        return;
      }
      pending += chunks.length;
      void open().then((address) => {
        for (const chunk of chunks) {
          if (!socket) {
            done();
            continue;
          }
          socket.send(chunk, settings.port, address, (error) => {
            if (error && !complained) {
              complained = true;
              complain(settings, `cannot send (${error.message}); dropping records`);
            }
            done();
          });
        }
      });
    },
    async close(timeoutMs) {
      closed = true;
      if (pending > 0) {
        await new Promise<void>((resolve) => {
          const stop = setTimeout(resolve, timeoutMs);
          idle = () => {
            clearTimeout(stop);
            resolve();
          };
        });
      }
      socket?.close();
      socket = undefined;
    },
  };
}

function tcpSender(settings: GraylogSettings): Sender {
  let socket: Socket | undefined;
  let connected = false;
  let closing = false;
  let delay = 100;
  let retry: NodeJS.Timeout | undefined;
  let dropped = 0;
  let complained = false;
  const queue: Buffer[] = [];
  let address: Promise<string> | undefined;

  const flush = () => {
    while (connected && socket && queue.length > 0) socket.write(queue.shift() as Buffer);
  };
  const open = () => {
    if (socket || retry || closing) return;
    address ??= lookup(settings.host).then(
      (found) => found.address,
      () => settings.host,
    );
    void address.then((host) => {
      if (closing) return;
      const current = connect({ host, port: settings.port });
      socket = current;
      current.setNoDelay(true);
      current.unref();
      current.on('connect', () => {
        connected = true;
        delay = 100;
        if (complained)
          complain(settings, `connected again${dropped > 0 ? `; ${dropped} records were dropped` : ''}`);
        complained = false;
        dropped = 0;
        flush();
      });
      current.on('error', (error) => {
        if (!complained) {
          complained = true;
          complain(settings, `${error.message}; queueing records and retrying`);
        }
      });
      current.on('close', () => {
        connected = false;
        socket = undefined;
        if (closing || queue.length === 0) return;
        retry = setTimeout(() => {
          retry = undefined;
          open();
        }, delay);
        retry.unref();
        delay = Math.min(delay * 2, 30_000);
      });
    });
  };
  return {
    send(payload) {
      // GELF over TCP: uncompressed, one message per frame ended by a null byte (JSON never holds one).
      const frame = Buffer.concat([payload, Buffer.from([0])]);
      if (connected && socket) {
        socket.write(frame);
        return;
      }
      queue.push(frame);
      if (queue.length > TCP_QUEUE_LIMIT) {
        queue.shift();
        dropped++;
      }
      open();
    },
    async close(timeoutMs) {
      // Timers and the socket are referenced while closing, so the process waits for the flush.
      let timedOut = false;
      const timer = setTimeout(() => (timedOut = true), timeoutMs);
      while (!timedOut && queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      closing = true;
      if (retry) clearTimeout(retry);
      const current = socket;
      if (current) {
        current.ref();
        await new Promise<void>((resolve) => {
          const stop = setTimeout(resolve, Math.max(0, timeoutMs / 2));
          current.end(() => {
            clearTimeout(stop);
            resolve();
          });
        });
        current.destroy();
      }
      clearTimeout(timer);
    },
  };
}

/** A GELF destination for pino (use it in `pino.multistream`, or let `createLogger` do so). */
export function createGelfDestination(
  settings: GraylogSettings,
  defaultHost: string = hostname(),
  loggerName?: string,
): GelfDestination {
  const options = loggerName === undefined ? settings : { ...settings, loggerName };
  const sender = settings.protocol.toUpperCase() === 'TCP' ? tcpSender(settings) : udpSender(settings);
  return {
    settings,
    write(line) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return true;
      }
      sender.send(Buffer.from(JSON.stringify(gelfFromRecord(record, defaultHost, options))));
      return true;
    },
    close: (timeoutMs = 2000) => sender.close(timeoutMs),
  };
}
