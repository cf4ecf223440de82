import { request } from 'node:http';
import { Registry } from 'prom-client';
import { until } from '@zocalo/test-brokers';
import type { ServiceRuntimeOptions } from '../../src';
import { ServiceMetrics, ServiceRuntime, ServiceState, defineService, startMetricsServer } from '../../src';
import type { Setup } from './helpers';
import { setup } from './helpers';

let env: Setup;
beforeEach(async () => {
  env = await setup();
});
afterEach(() => env.close());

function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics', () => {
  test('counts messages in, out, failed and the processing time, served at /metrics', async () => {
    let attempts = 0;
    const service = defineService({
      name: 'Counted',
      initializing: async (ctx) => {
        await ctx.subscribe('work', async (msg) => {
          attempts++;
          if (msg.message === 'bad') return msg.reject('bad input');
          if (msg.message === 'flaky' && attempts === 2) throw new Error('once');
          await msg.send('out', 1);
          await msg.send('out', 2);
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options({ metricsPort: 0, metricsHost: '127.0.0.1' }));
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    const port = runtime.metricsPort!;
    expect(port).toBeGreaterThan(0);
    await env.client.send('work', 'good');
    await env.client.send('work', 'flaky');
    await env.client.send('work', 'bad');
    await until(() => env.broker.stats('DLQ.work').depth === 1);

    const response = await get(port, '/metrics');
    expect(response.status).toBe(200);
    expect(response.type).toContain('text/plain');
    const body = response.body;
    // good + flaky twice + bad
    expect(body).toContain('zocalo_messages_in_total{service="Counted"} 4');
    // two outputs each for good and the second try of flaky; none from the aborted first try
    expect(body).toContain('zocalo_messages_out_total{service="Counted"} 4');
    expect(body).toContain('zocalo_messages_failed_total{service="Counted",outcome="error"} 1');
    expect(body).toContain('zocalo_messages_failed_total{service="Counted",outcome="rejected"} 1');
    expect(body).toContain('zocalo_processing_seconds_count{service="Counted"} 4');
    expect(body).toMatch(/zocalo_processing_seconds_bucket\{le="\+Inf",service="Counted"\} 4/);

    expect((await get(port, '/other')).status).toBe(404);
    runtime.stop();
    await running;
    await expect(get(port, '/metrics')).rejects.toThrow();
  });

  test('each runtime has its own registry, so runtimes and tests do not share counters', async () => {
    const one = await ServiceMetrics.create('A');
    const two = await ServiceMetrics.create('A');
    one.received();
    expect(one.registry).not.toBe(two.registry);
    expect((await one.messagesIn.get()).values[0].value).toBe(1);
    expect((await two.messagesIn.get()).values).toEqual([]);
  });

  test('a runtime keeps metrics only when asked (metricsPort, metricsRegistry or metrics: true)', async () => {
    const service = defineService({ name: 'Plain' });
    const transport = env.transport;
    const metricsOf = async (
      options: Partial<ServiceRuntimeOptions>,
    ): Promise<ServiceMetrics | undefined> => {
      const runtime = new ServiceRuntime(service, { transport, commandTopic: false, ...options });
      const running = runtime.run();
      await until(() => runtime.state === ServiceState.IDLE);
      const metrics = runtime.metrics;
      runtime.stop();
      await running;
      return metrics;
    };
    expect(await metricsOf({})).toBeUndefined();
    expect(await metricsOf({ metrics: true })).toBeInstanceOf(ServiceMetrics);
    const registry = new Registry();
    expect((await metricsOf({ metricsRegistry: registry }))?.registry).toBe(registry);
    expect(() => new ServiceRuntime(service, { transport, metricsPort: 0, metrics: false })).toThrow(
      /metrics: false/,
    );
  });

  test('startMetricsServer serves any registry and closes cleanly', async () => {
    const registry = new Registry();
    const metrics = await ServiceMetrics.create('Direct', registry);
    metrics.sent(3);
    const server = await startMetricsServer(registry, 0, '127.0.0.1');
    const response = await get(server.port, '/metrics?x=1');
    expect(response.body).toContain('zocalo_messages_out_total{service="Direct"} 3');
    await server.close();
  });
});
