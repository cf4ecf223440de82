/**
 * python-workflows' `TimerMiddleware`: logs at info how long each delivery's callback and each send
 * took, in seconds with three decimals as Python writes them (`Callback for /queue/x took: 0.012`,
 * `send() took: 0.001`). A callback that throws is not timed, as in Python.
 */
import type { Logger } from '../logger';
import { getDefaultLogger } from '../logger';
import type { IncomingMessage, MiddlewareNext, OutgoingMessage, TransportMiddleware } from '../transport';

export class TimerMiddleware implements TransportMiddleware {
  readonly name = 'timer';
  private readonly logger: Logger;

  constructor(options: { readonly logger?: Logger } = {}) {
    this.logger = options.logger ?? getDefaultLogger();
  }

  async receive(incoming: IncomingMessage, next: MiddlewareNext<IncomingMessage>): Promise<void> {
    const started = performance.now();
    await next(incoming);
    const seconds = (performance.now() - started) / 1000;
    const destination = String(incoming.header.destination ?? '');
    this.logger.info({ destination, seconds }, `Callback for ${destination} took: ${seconds.toFixed(3)}`);
  }

  async send(outgoing: OutgoingMessage, next: MiddlewareNext<OutgoingMessage>): Promise<void> {
    const started = performance.now();
    await next(outgoing);
    const seconds = (performance.now() - started) / 1000;
    this.logger.info({ destination: outgoing.destination, seconds }, `send() took: ${seconds.toFixed(3)}`);
  }
}
