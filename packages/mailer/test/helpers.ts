/**
 * A real SMTP server on loopback (the `smtp-server` package, speaking the protocol as a relay does),
 * which keeps every mail it is given, parsed (`mailparser`), with the envelope the client sent.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  /** SMTP envelope: MAIL FROM and RCPT TO. */
  readonly mailFrom: string | undefined;
  readonly rcptTo: readonly string[];
  /** Headers as they came (`to`, `from`, `subject`, `content-type`, ...). */
  readonly headers: ReadonlyMap<string, string>;
  readonly subject: string | undefined;
  /** The decoded text body, line ends as sent (CRLF turned into LF by the parser). */
  readonly text: string | undefined;
}

export interface TestSmtpServer {
  readonly host: string;
  readonly port: number;
  readonly mails: ReceivedMail[];
  close(): Promise<void>;
}

/** Start a relay on 127.0.0.1 (any free port); `options` as smtp-server's (e.g. `onRcptTo` to refuse). */
export async function startSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    // Python's smtplib speaks plain SMTP, no STARTTLS and no login; so does the Mailer.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const headers = new Map<string, string>();
          for (const line of parsed.headerLines) headers.set(line.key, line.line.replace(/^[^:]*:\s*/, ''));
          mails.push({
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            headers,
            subject: parsed.subject,
            text: parsed.text,
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A TCP server that accepts connections and never says a word (no SMTP greeting): for timeouts. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (found free, then closed again). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
