/** Shared set-up of the tests: a recording logger, STOMP transports, polling with a description. */
import type { Logger } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';
import { BROKERS, sleep, until } from '@zocalo/test-brokers';
import { StompTransport } from '@zocalo/transport-stomp';

export { RecordingLogger, sleep };

export function stompTransport(logger: Logger = new RecordingLogger()): StompTransport {
  const { host, port, user, pass } = BROKERS.stomp;
  return new StompTransport({ host, port, username: user, password: pass, logger });
}

/** Polls until the condition holds; fails naming `description` after `timeoutMs` (broker work is slow). */
export function waitFor(condition: () => boolean, description: string, timeoutMs = 30_000): Promise<void> {
  return until(condition, timeoutMs, description);
}
