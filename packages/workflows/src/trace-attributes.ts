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
