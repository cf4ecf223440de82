/**
 * Attributes for the span of the message being handled, without this package loading OpenTelemetry:
 * `@zocalo/tracing` installs the sink when tracing is switched on; until then a call costs one check.
 * The Dispatcher uses it to put the recipe ID and DCID it knows on its span.
 */

/** An attribute value as OpenTelemetry takes it. */
export type TraceAttributeValue = string | number | boolean;

/** Where {@link setTraceAttributes} puts its attributes: the active span, when tracing is on. */
export type TraceAttributeSink = (attributes: Readonly<Record<string, TraceAttributeValue>>) => void;

let sink: TraceAttributeSink | undefined;

/** Put these attributes on the active span (the message being handled), if tracing is on. */
export function setTraceAttributes(attributes: Readonly<Record<string, TraceAttributeValue>>): void {
  sink?.(attributes);
}

/** Install (or, with `undefined`, remove) the sink of {@link setTraceAttributes}. */
export function setTraceAttributeSink(next: TraceAttributeSink | undefined): void {
  sink = next;
}

/** The fields of the active span for a log record (its trace and span ids), or undefined without one. */
export type TraceLogFields = () => Readonly<Record<string, string>> | undefined;

let logFields: TraceLogFields | undefined;

/**
 * The trace and span ids of the message being handled, for every log record written meanwhile (the
 * loggers of @zocalo/configuration add them, as python-workflows' log extender does); undefined when
 * tracing is off or no span is active. One check when off.
 */
export function traceLogFields(): Readonly<Record<string, string>> | undefined {
  return logFields?.();
}

/** Install (or, with `undefined`, remove) what {@link traceLogFields} returns: `@zocalo/tracing` does. */
export function setTraceLogFields(next: TraceLogFields | undefined): void {
  logFields = next;
}
