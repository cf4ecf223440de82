/**
 * What a running service exposes to Kubernetes: the liveness endpoint (a worker thread that answers
 * 503 while the main loop is blocked), `/readyz` and `/healthz` on the metrics port, and the extra
 * status fields.
 */
import { request } from 'node:http';
import { Worker } from 'node:worker_threads';
import { until } from '@zocalo/test-brokers';
import { ServiceRuntime, ServiceState, defineService, startLivenessServer } from '../../src';
import type { Setup } from './helpers';
import { setup } from './helpers';

let env: Setup;
beforeEach(async () => {
  env = await setup();
});
afterEach(() => env.close());

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Block this thread's event loop for `ms` while another thread asks `port` for `/` half-way through;
 * returns the status it got.
 */
function statusWhileBlocked(port: number, ms: number): number {
  const shared = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const http = require('node:http');
     setTimeout(() => http.get({ host: '127.0.0.1', port: workerData.port, path: '/', agent: false }, (r) => {
       r.resume();
       Atomics.store(workerData.shared, 0, r.statusCode);
       Atomics.notify(workerData.shared, 0);
     }), workerData.delay);`,
    { eval: true, workerData: { port, shared, delay: ms / 2 } },
  );
  Atomics.wait(shared, 0, 0, ms * 4);
  void worker.terminate();
  return Atomics.load(shared, 0);
}

test('the liveness endpoint answers 200 while the loop turns, 503 once it is stuck past the timeout', async () => {
  const server = await startLivenessServer({ port: 0, host: '127.0.0.1', timeout: 0.3 });
  try {
    expect(await get(server.port, '/')).toBe(200);
    expect(await get(server.port, '/readyz')).toBe(503);
    server.setReady(true);
    expect(await get(server.port, '/readyz')).toBe(200);
    expect(statusWhileBlocked(server.port, 1600)).toBe(503);
    // Once the loop turns again, it is alive again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await get(server.port, '/livez')).toBe(200);
  } finally {
    await server.close();
  }
});

test('a port in use is a clear error', async () => {
  const first = await startLivenessServer({ port: 0, host: '127.0.0.1', timeout: 5 });
  try {
    await expect(startLivenessServer({ port: first.port, host: '127.0.0.1', timeout: 5 })).rejects.toThrow(
      /cannot serve liveness on port \d+: .*choose another port/,
    );
  } finally {
    await first.close();
  }
});

test('a running service is ready on both ports, with its extra status fields, and closes them at the end', async () => {
  const service = defineService({
    name: 'Probed',
    initializing: async (ctx) => {
      await ctx.subscribe('probed', () => undefined);
    },
  });
  const runtime = new ServiceRuntime(
    service,
    env.options({
      metricsPort: 0,
      metricsHost: '127.0.0.1',
      liveness: { port: 0, host: '127.0.0.1', timeout: 5 },
      statusFields: { zocalo: '1.2.3', tag: 'blue', host: 'not replaced' },
    }),
  );
  const running = runtime.run();
  await until(() => runtime.state === ServiceState.IDLE);
  const metrics = runtime.metricsPort!;
  const liveness = runtime.livenessPort!;
  expect(await get(metrics, '/readyz')).toBe(200);
  expect(await get(metrics, '/healthz')).toBe(200);
  expect(await get(liveness, '/readyz')).toBe(200);
  expect(await get(liveness, '/')).toBe(200);
  await until(() => env.statuses.length > 0);
  expect(env.statuses.at(-1)).toMatchObject({
    host: 'uk.ac.diamond.test.4711',
    zocalo: '1.2.3',
    tag: 'blue',
  });
  runtime.stop();
  await running;
  await expect(get(liveness, '/')).rejects.toThrow(/ECONNREFUSED/);
  await expect(get(metrics, '/readyz')).rejects.toThrow(/ECONNREFUSED/);
});
