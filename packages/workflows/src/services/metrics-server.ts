/**
 * A tiny HTTP server (node:http) that serves a prom-client registry at `/metrics`, and, when given
 * {@link ProbeChecks}, Kubernetes' readiness (`/readyz`) and health (`/healthz`) probes.
 */
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  /** The port listened on (useful when asked for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** What `/readyz` and `/healthz` answer: 200 while true, 503 otherwise. */
export interface ProbeChecks {
  /** Connected to the broker and subscribed: ready for work. */
  readonly ready: () => boolean;
  /** Running (not ended, not failed). */
  readonly healthy: () => boolean;
}

/** Listen on `port` (0: any free port) and `host` (default all interfaces). */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host?: string,
  probes?: ProbeChecks,
): Promise<MetricsServer> {
  // node:http is loaded only by a process that serves metrics (about 2 MB resident).
  const { createServer } = await import('node:http');
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const probe = path === '/readyz' ? probes?.ready : path === '/healthz' ? probes?.healthy : undefined;
    if (request.method === 'GET' && probe) {
      const ok = probe();
      response
        .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ok ? 'ok\n' : `${path === '/readyz' ? 'not ready' : 'not healthy'}\n`);
      return;
    }
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
