/**
 * python-workflows' `OTELTracingMiddleware` on our transport middleware: the same span names and
 * attributes, the W3C trace context injected into the headers of every send and extracted from the
 * headers of every received message, so that a trace runs on through Python and TypeScript steps.
 */
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { ROOT_CONTEXT, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type {
  AckCall,
  MessageBody,
  MessageCallback,
  MiddlewareNext,
  NackCall,
  OutgoingMessage,
  ReceivedHeaders,
  SubscribeCall,
  SubscriptionId,
  TransactionBeginCall,
  TransactionCall,
  TransactionId,
  TransportMiddleware,
  UnsubscribeCall,
} from '@zocalo/workflows';
import { recipeIdOf } from '@zocalo/workflows';
import { extractSpanContext, withTraceHeaders } from './trace-context';

/** Where service status is broadcast (wire-format.md). */
const STATUS_TOPIC = 'transient.status';

/** The attribute of the recipe ID (`environment.ID` of a recipe message). */
export const RECIPE_ID_ATTRIBUTE = 'recipe_id';

const SEND_SPAN = {
  queue: { false: 'transport.send', true: 'transport.raw_send' },
  topic: { false: 'transport.broadcast', true: 'transport.raw_broadcast' },
} as const;

const SUBSCRIBE_SPAN = {
  queue: 'transport.subscribe',
  topic: 'transport.subscribe_broadcast',
  temporary: 'transport.subscribe_temporary',
} as const;

function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

export class TracingMiddleware implements TransportMiddleware {
  readonly name = 'opentelemetry';

  constructor(
    private readonly tracer: Tracer,
    /** The `service_name` attribute of every span, as python-workflows sets it: the service's name. */
    readonly serviceName: string,
  ) {}

  /** Run `work` in a new span, child of the active one, ending it when `work` settles. */
  private async span<T>(
    name: string,
    attributes: Attributes,
    work: (span: Span) => Promise<T>,
    parent?: Context,
  ): Promise<T> {
    const span = this.tracer.startSpan(
      name,
      { attributes: { service_name: this.serviceName, ...attributes } },
      parent ?? context.active(),
    );
    try {
      return await context.with(trace.setSpan(parent ?? context.active(), span), () => work(span));
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  send(outgoing: OutgoingMessage, next: MiddlewareNext<OutgoingMessage>): Promise<void> {
    // A status broadcast is the runtime's, not the message's, although it may be sent while one is
    // handled: python-workflows sends it through its frontend, outside any trace.
    if (outgoing.kind === 'topic' && outgoing.destination === STATUS_TOPIC) return next(outgoing);
    const attributes: Attributes = { destination: outgoing.destination };
    const recipeId = outgoing.raw ? undefined : recipeIdOf(outgoing.message);
    if (recipeId !== undefined) attributes[RECIPE_ID_ATTRIBUTE] = recipeId;
    return this.span(SEND_SPAN[outgoing.kind][outgoing.raw ? 'true' : 'false'], attributes, (span) =>
      next({
        ...outgoing,
        options: {
          ...outgoing.options,
          headers: withTraceHeaders(outgoing.options.headers, span.spanContext()),
        },
      }),
    );
  }

  subscribe(
    call: SubscribeCall,
    next: MiddlewareNext<SubscribeCall, SubscriptionId>,
  ): Promise<SubscriptionId> {
    const name = SUBSCRIBE_SPAN[call.kind];
    // python-workflows names the queue `channel`, and a temporary subscription's `channel_hint`.
    const key = call.kind === 'temporary' ? 'channel_hint' : 'channel';
    const callback = call.callback;
    const wrapped: MessageCallback = (header: ReceivedHeaders, message: MessageBody) => {
      const remote = extractSpanContext(header);
      // An absent or unusable traceparent starts a new trace, as Python's extract() does.
      const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
      const attributes: Attributes = { [key]: call.destination };
      const recipeId = recipeIdOf(message);
      if (recipeId !== undefined) attributes[RECIPE_ID_ATTRIBUTE] = recipeId;
      return this.span(name, attributes, async () => callback(header, message), parent);
    };
    return next({ ...call, callback: wrapped } as SubscribeCall);
  }

  unsubscribe(call: UnsubscribeCall, next: MiddlewareNext<UnsubscribeCall>): Promise<void> {
    return this.span('transport.unsubscribe', { subscription_id: call.subscription }, () => next(call));
  }

  ack(call: AckCall, next: MiddlewareNext<AckCall>): Promise<void> {
    return this.span('transport.ack', { subscription_id: call.header.subscription }, () => next(call));
  }

  nack(call: NackCall, next: MiddlewareNext<NackCall>): Promise<void> {
    return this.span('transport.nack', { subscription_id: call.header.subscription }, () => next(call));
  }

  transactionBegin(
    call: TransactionBeginCall,
    next: MiddlewareNext<TransactionBeginCall, TransactionId>,
  ): Promise<TransactionId> {
    const attributes: Attributes =
      call.options.subscription === undefined ? {} : { subscription_id: call.options.subscription };
    return this.span('transaction.begin', attributes, () => next(call));
  }

  transactionCommit(call: TransactionCall, next: MiddlewareNext<TransactionCall>): Promise<void> {
    return this.span('transaction.commit', { transaction_id: call.transaction }, () => next(call));
  }

  transactionAbort(call: TransactionCall, next: MiddlewareNext<TransactionCall>): Promise<void> {
    return this.span('transaction.abort', { transaction_id: call.transaction }, () => next(call));
  }
}
