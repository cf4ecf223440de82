/** Shared set-up of the tests: a logger that keeps jest quiet and records, and STOMP transports. */
import type { Logger } from '@zocalo/workflows';
import { BROKERS } from '@zocalo/test-brokers';
import { StompTransport } from '@zocalo/transport-stomp';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: object;
}

/** A logger that records what it is told (printed too when ZOCALO_TEST_LOG is set). */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  debug(fields: object, message = ''): void {
    this.record('debug', fields, message);
  }
  info(fields: object, message = ''): void {
    this.record('info', fields, message);
  }
  warn(fields: object, message = ''): void {
    this.record('warn', fields, message);
  }
  error(fields: object, message = ''): void {
    this.record('error', fields, message);
  }
  child(): Logger {
    return this;
  }
  private record(level: LogEntry['level'], fields: object, message: string): void {
    this.entries.push({ level, fields, message });
    if (process.env.ZOCALO_TEST_LOG) process.stderr.write(`[${level}] ${message}\n`);
  }
}

export function stompTransport(logger: Logger = new RecordingLogger()): StompTransport {
  const { host, port, user, pass } = BROKERS.stomp;
  return new StompTransport({ host, port, username: user, password: pass, logger });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until the condition holds; throws with the description after timeoutMs. */
export async function waitFor(
  condition: () => boolean,
  description: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await sleep(50);
  }
}
