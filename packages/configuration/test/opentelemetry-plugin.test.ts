import { RecordingLogger } from '@zocalo/workflows';
import { ConfigurationError, loadConfiguration, openTelemetrySettings } from '../src';

function load(block: string) {
  return loadConfiguration({
    text: `version: 1\notel:\n  plugin: opentelemetry\n${block}\nenvironments:\n  default: [otel]\n`,
    logger: new RecordingLogger(),
  });
}

describe('the opentelemetry plugin (python-workflows OTEL)', () => {
  test('builds https://host:port/v1/traces with a 10 s timeout, as Python', () => {
    const configuration = load('  host: collector.example\n  port: 4318');
    expect(configuration.plugins.opentelemetry).toEqual({
      endpoint: 'https://collector.example:4318/v1/traces',
      timeout: 10,
    });
    expect(openTelemetrySettings(configuration.plugins)).toEqual({
      endpoint: 'https://collector.example:4318/v1/traces',
      timeout: 10,
    });
    expect(configuration.warnings).toEqual([]);
  });

  test('takes timeout, and scheme or endpoint for a collector without TLS', () => {
    expect(load('  host: h\n  port: 4318\n  timeout: 3\n  scheme: http').plugins.opentelemetry).toEqual({
      endpoint: 'http://h:4318/v1/traces',
      timeout: 3,
    });
    expect(
      load('  host: h\n  port: 1\n  endpoint: http://127.0.0.1:9/v1/traces').plugins.opentelemetry,
    ).toEqual({ endpoint: 'http://127.0.0.1:9/v1/traces', timeout: 10 });
  });

  test('a block without host and port is refused, as Python requires them', () => {
    expect(() => load('  port: 4318')).toThrow(ConfigurationError);
    expect(() => load('  host: h\n  port: 0')).toThrow(ConfigurationError);
  });

  test('no block: no tracing settings', () => {
    expect(openTelemetrySettings({})).toBeUndefined();
  });
});
