/**
 * @zocalo/tracing: OpenTelemetry tracing for Zocalo services, as python-workflows' `opentelemetry`
 * plugin and `OTELTracingMiddleware`.
 *
 * - `startTracing({ serviceName, endpoint })` loads the SDK (optional peer dependencies), exports spans
 *   in batches over OTLP/HTTP and returns the `TracingMiddleware` to give the service runtime
 *   (`middleware: [tracing.middleware]`); `zocalo service` does this when the site configuration has
 *   an `opentelemetry` block.
 * - `TracingMiddleware` names spans as Python does (`transport.send`, `transport.subscribe`, ...), with
 *   `service_name`, `destination` / `channel` and `recipe_id`, and carries the W3C trace context in
 *   the `traceparent` / `tracestate` headers.
 * - `extractSpanContext` / `traceHeaders`: that header format, bounded against hostile values.
 */
export type { TracingErrorCode } from './errors';
export { TRACING_ERROR_CODES } from './errors';
export type { StartTracingOptions, Tracing } from './start-tracing';
export {
  SDK_PACKAGES,
  SPAN_ID_FIELD,
  TRACE_ID_FIELD,
  TracingSetupError,
  startTracing,
} from './start-tracing';
export { RECIPE_ID_ATTRIBUTE, TracingMiddleware } from './tracing-middleware';
export {
  MAX_TRACESTATE_LENGTH,
  TRACEPARENT,
  TRACESTATE,
  extractSpanContext,
  traceHeaders,
  withTraceHeaders,
} from './trace-context';
