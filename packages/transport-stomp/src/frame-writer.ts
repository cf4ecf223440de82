/**
 * The outgoing side of a stompit client, replaced (stompit's `outgoingFrameStream` option) to write
 * fast: stompit's own stream writes each frame as three socket writes (headers, body, terminator),
 * each waiting for the last to flush. Here a frame is serialised at once, and frames leave together in
 * one write (cork/uncork): a SEND or any other frame at the end of the current tick (no added latency),
 * ACK/NACK frames at the end of the event loop turn — so the ACKs for every MESSAGE read from one
 * socket chunk share a write. Headers are escaped per the negotiated STOMP version (header-escaping.ts).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { HeaderEncoder } from './header-escaping';
import { headerEncoder, noEscaping } from './header-escaping';

/** What stompit's Socket expects of a frame returned by `frame()`: `end()`, `write()`, `on('error')`. */
export class BufferedFrame extends EventEmitter {
  private readonly chunks: Array<string | Buffer> = [];

  constructor(
    private readonly writer: FrameWriter,
    readonly command: string,
    readonly headers: Record<string, string | number | undefined>,
  ) {
    super();
  }

  write(
    chunk: string | Buffer,
    encoding?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ): boolean {
    this.chunks.push(
      typeof chunk === 'string' && typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8'
        ? Buffer.from(chunk, encoding)
        : chunk,
    );
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) process.nextTick(done);
    return true;
  }

  end(
    chunk?: string | Buffer | (() => void),
    encoding?: BufferEncoding | (() => void),
    callback?: () => void,
  ): this {
    let done = callback;
    if (typeof chunk === 'function') done = chunk;
    else if (typeof encoding === 'function') done = encoding;
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
      this.write(chunk, typeof encoding === 'string' ? encoding : undefined);
    }
    this.writer.send(this.command, this.headers, this.chunks);
    if (done) process.nextTick(done);
    return this;
  }
}

/** A drop-in for stompit's OutgoingFrameStream (`frame`, `heartbeat`, `finish`, `hasFinished`, `setVersion`). */
export class FrameWriter {
  private encode: HeaderEncoder = noEscaping;
  private finished = false;
  /** Frames written into the corked socket since the last flush. */
  private pending = 0;
  /** Which batch the scheduled flushes belong to; a flush of an older batch does nothing. */
  private batch = 0;
  private soon = false;
  /** Counts writes, so that a read can tell whether anything was written after it. */
  private writes = 0;
  private answering = false;

  constructor(private readonly socket: Socket) {
    const finish = (): void => {
      this.finished = true;
    };
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('finish', finish);
    socket.on('data', this.answerRead);
  }

  /**
   * ActiveMQ's STOMP connector has Nagle's algorithm on (`tcpNoDelay` defaults to false): after a small
   * frame (a RECEIPT) it holds the next one (the MESSAGE that follows a COMMIT) until the first is
   * acknowledged by TCP, and our side delays that acknowledgement by up to 40 ms when it has nothing to
   * send. With one message in flight (prefetch 1) that capped a service at ~25 messages a second. So
   * when a read is not answered by a write by the end of the turn, write an EOL (a STOMP heart-beat,
   * allowed between frames): it carries the TCP acknowledgement at once.
   */
  private readonly answerRead = (): void => {
    if (this.answering) return;
    this.answering = true;
    const mark = this.writes;
    setImmediate(() => {
      this.answering = false;
      if (this.writes !== mark || this.pending > 0 || this.finished || this.socket.destroyed) return;
      this.writes++;
      this.socket.write('\n');
    });
  };

  /** Called by stompit with the version the broker chose in CONNECTED. */
  setVersion(version: string): boolean {
    const encoder = headerEncoder(version);
    if (!encoder) return false;
    this.encode = encoder;
    return true;
  }

  frame(command: string, headers: Record<string, string | number | undefined> | undefined): BufferedFrame {
    return new BufferedFrame(this, command, headers ?? {});
  }

  heartbeat(): void {
    if (this.pending === 0 && !this.finished) {
      this.writes++;
      this.socket.write('\n');
    }
  }

  finish(): void {
    this.finished = true;
  }

  hasFinished(): boolean {
    return this.finished;
  }

  /** Serialise one frame and queue it for this turn's single write. */
  send(
    command: string,
    headers: Record<string, string | number | undefined>,
    body: ReadonlyArray<string | Buffer>,
  ): void {
    if (this.finished || this.socket.destroyed) return;
    const encode = this.encode;
    let head = `${command}\n`;
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && value !== null) head += `${encode(name)}:${encode(String(value))}\n`;
    }
    head += '\n';
    if (this.pending === 0) {
      this.socket.cork();
      const batch = ++this.batch;
      this.soon = false;
      setImmediate(() => this.flush(batch));
    }
    if (!this.soon && command !== 'ACK' && command !== 'NACK') {
      this.soon = true;
      const batch = this.batch;
      queueMicrotask(() => this.flush(batch));
    }
    this.pending++;
    this.writes++;
    if (body.length === 0) {
      this.socket.write(`${head}\0\n`);
    } else if (body.length === 1 && typeof body[0] === 'string') {
      this.socket.write(`${head}${body[0]}\0\n`);
    } else {
      this.socket.write(head);
      for (const chunk of body) this.socket.write(chunk);
      this.socket.write('\0\n');
    }
  }

  private flush(batch: number): void {
    if (batch !== this.batch || this.pending === 0) return;
    this.pending = 0;
    this.socket.uncork();
  }
}
