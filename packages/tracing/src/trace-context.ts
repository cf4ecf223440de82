/**
 * W3C Trace Context in message headers, exactly as python-workflows' default propagator writes it:
 * `traceparent` (`00-<trace id>-<span id>-<flags>`) and, when there is one, `tracestate`. Written here
 * on @opentelemetry/api alone (no SDK needed) so that what a header may hold is bounded by this file:
 * a header comes from whoever could send to the queue.
 */
import type { SpanContext, TraceState } from '@opentelemetry/api';
import { TraceFlags, createTraceState, isSpanContextValid } from '@opentelemetry/api';
import type { HeaderValue, MessageHeaders } from '@zocalo/workflows';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/**
 * Longest `tracestate` kept. The W3C spec asks to propagate at least 512 characters and lets a
 * vendor drop the rest; a longer one is dropped whole (not cut: a cut list could change meaning),
 * before it is parsed, so a 1 MB header costs one length check.
 */
export const MAX_TRACESTATE_LENGTH = 512;

// Version 00 is exactly 55 characters; a later version may append fields after a dash (W3C §3.2.4).
const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** No valid traceparent is longer than this: a future version's extra fields are cut off here. */
const MAX_TRACEPARENT_LENGTH = 512;

/** A header value as text: STOMP gives strings; AMQP may give Buffers (or numbers) in its table. */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value))
    return value.length <= MAX_TRACEPARENT_LENGTH * 4 ? value.toString('utf8') : undefined;
  return undefined;
}

/** The span context a message's headers carry, or `undefined` when they carry none that is valid. */
export function extractSpanContext(headers: Readonly<Record<string, unknown>>): SpanContext | undefined {
  const parent = headerText(
    Object.prototype.hasOwnProperty.call(headers, TRACEPARENT) ? headers[TRACEPARENT] : undefined,
  );
  if (parent === undefined || parent.length > MAX_TRACEPARENT_LENGTH) return undefined;
  const match = TRACEPARENT_PATTERN.exec(parent.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  // ff is forbidden; version 00 has no extra fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const context: SpanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (!isSpanContextValid(context)) return undefined;
  const state = traceStateOf(
    Object.prototype.hasOwnProperty.call(headers, TRACESTATE) ? headers[TRACESTATE] : undefined,
  );
  return state ? { ...context, traceState: state } : context;
}

function traceStateOf(value: unknown): TraceState | undefined {
  // Length first, on the raw value: a huge header is never decoded or parsed.
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) return undefined;
  if (value.length === 0 || value.length > MAX_TRACESTATE_LENGTH) return undefined;
  const text = headerText(value);
  if (text === undefined || text.length > MAX_TRACESTATE_LENGTH) return undefined;
  // createTraceState drops invalid members and keeps at most 32, as the spec says.
  const state = createTraceState(text);
  return state.serialize().length > 0 ? state : undefined;
}

/** The headers that carry `context` on: `traceparent`, and `tracestate` when it has members. */
export function traceHeaders(context: SpanContext): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {
    [TRACEPARENT]: `00-${context.traceId}-${context.spanId}-0${(context.traceFlags & TraceFlags.SAMPLED).toString(16)}`,
  };
  const state = context.traceState?.serialize();
  if (state && state.length <= MAX_TRACESTATE_LENGTH) headers[TRACESTATE] = state;
  return headers;
}

/** `headers` with the trace context of `context` (any trace headers already there are replaced). */
export function withTraceHeaders(headers: MessageHeaders | undefined, context: SpanContext): MessageHeaders {
  const rest: Record<string, HeaderValue> = {};
  for (const [key, value] of Object.entries(headers ?? {}))
    if (key !== TRACEPARENT && key !== TRACESTATE) rest[key] = value;
  return { ...rest, ...traceHeaders(context) };
}
