/**
 * Switching tracing on in a process, as python-workflows' `CommonService.start_transport` does when
 * the site configuration has an `opentelemetry` block: a tracer provider whose resource names the
 * service, a batch span processor exporting over OTLP/HTTP to the configured endpoint, and the
 * middleware. The SDK packages are optional peer dependencies, loaded here and only here.
 */
import type { Tracer } from '@opentelemetry/api';
import { context, trace } from '@opentelemetry/api';
import { ZocaloError, setTraceAttributeSink, setTraceLogFields } from '@zocalo/workflows';
import { TRACING_ERROR_CODES } from './errors';
import { TracingMiddleware } from './tracing-middleware';

/**
 * The log record fields of the active span's ids, as python-workflows names them where it logs them
 * (`trace_id`: 32 hex digits, `span_id`: 16).
 */
export const TRACE_ID_FIELD = 'trace_id';
export const SPAN_ID_FIELD = 'span_id';

/** The exact versions this package is tested with; `npm install` them beside it to trace. */
export const SDK_PACKAGES = Object.freeze({
  '@opentelemetry/sdk-trace-base': '2.12.1',
  '@opentelemetry/exporter-trace-otlp-http': '0.223.1',
  '@opentelemetry/resources': '2.12.1',
  '@opentelemetry/context-async-hooks': '2.12.1',
} as const);

/** Tracing could not be switched on: an SDK package is missing, or a setting is unusable. */
export class TracingSetupError extends ZocaloError {
  static override readonly code: string = TRACING_ERROR_CODES.TracingSetupError;
}

export interface StartTracingOptions {
  /** The service's name: the resource's `service.name` and every span's `service_name`. */
  readonly serviceName: string;
  /** Where spans go: the OTLP/HTTP traces URL, e.g. `https://collector:4318/v1/traces`. */
  readonly endpoint: string;
  /** Seconds an export may take. Default 10, as python-workflows' plugin. */
  readonly timeout?: number;
  /** Most milliseconds a finished span waits for its batch. Default the SDK's (5000). */
  readonly scheduledDelayMillis?: number;
  /** Most spans in one export. Default the SDK's (512). */
  readonly maxExportBatchSize?: number;
}

/** Tracing switched on: the middleware to add to the transport, and the way to flush and stop. */
export interface Tracing {
  readonly middleware: TracingMiddleware;
  readonly tracer: Tracer;
  /** Export the spans finished so far. */
  forceFlush(): Promise<void>;
  /** Export what is left and stop; the global tracer provider and context manager are removed. */
  shutdown(): Promise<void>;
}

async function load<T>(name: keyof typeof SDK_PACKAGES, loader: () => Promise<T>): Promise<T> {
  try {
    return await loader();
  } catch (error) {
    const all = Object.entries(SDK_PACKAGES)
      .map(([pkg, version]) => `${pkg}@${version}`)
      .join(' ');
    throw new TracingSetupError(
      `tracing is configured (an opentelemetry plugin block) but ${name} cannot be loaded: install ${all}, or remove the block`,
      { cause: error },
    );
  }
}

/** Switch tracing on for this process (one service per process, as python-workflows). */
export async function startTracing(options: StartTracingOptions): Promise<Tracing> {
  let url: URL;
  try {
    url = new URL(options.endpoint);
  } catch (error) {
    throw new TracingSetupError(
      `the OTLP endpoint "${options.endpoint}" is not a URL; give e.g. https://host:4318/v1/traces`,
      {
        cause: error,
      },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TracingSetupError(`the OTLP endpoint "${options.endpoint}" must be http:// or https://`);
  }
  const [base, exporterModule, resources, hooks] = await Promise.all([
    load('@opentelemetry/sdk-trace-base', () => import('@opentelemetry/sdk-trace-base')),
    load('@opentelemetry/exporter-trace-otlp-http', () => import('@opentelemetry/exporter-trace-otlp-http')),
    load('@opentelemetry/resources', () => import('@opentelemetry/resources')),
    load('@opentelemetry/context-async-hooks', () => import('@opentelemetry/context-async-hooks')),
  ]);
  const exporter = new exporterModule.OTLPTraceExporter({
    url: url.href,
    timeoutMillis: (options.timeout ?? 10) * 1000,
  });
  const provider = new base.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [
      new base.BatchSpanProcessor(exporter, {
        scheduledDelayMillis: options.scheduledDelayMillis,
        maxExportBatchSize: options.maxExportBatchSize,
      }),
    ],
  });
  // AsyncLocalStorage carries the span of a message into its handler's sends, across awaits and the
  // runtime's hand-over of messages to its processing slots.
  const contextManager = new hooks.AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer('@zocalo/tracing');
  setTraceAttributeSink((attributes) => trace.getActiveSpan()?.setAttributes(attributes));
  // python-workflows' log extender: the ids of the message's span in every record written meanwhile.
  setTraceLogFields(() => {
    const active = trace.getActiveSpan()?.spanContext();
    return active !== undefined && trace.isSpanContextValid(active)
      ? { [TRACE_ID_FIELD]: active.traceId, [SPAN_ID_FIELD]: active.spanId }
      : undefined;
  });
  return {
    middleware: new TracingMiddleware(tracer, options.serviceName),
    tracer,
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      setTraceAttributeSink(undefined);
      setTraceLogFields(undefined);
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
