/**
 * The liveness endpoint of `--liveness` (a Kubernetes liveness probe's target): 200 while the
 * service's main loop (Node's event loop) has turned within the timeout, 503 once it has been stuck
 * longer. The HTTP server runs on a worker thread, so that it still answers while the main thread is
 * blocked (a handler spinning on the CPU); the main thread stamps the time into shared memory from a
 * timer, which only fires while its loop turns. The same port answers `/readyz` from a flag the
 * runtime sets.
 */
import type { Worker } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors';

/** python-workflows-style defaults: port 8000, 30 s. */
export const LIVENESS_DEFAULTS = { port: 8000, timeout: 30 } as const;

export interface LivenessServerOptions {
  /** Port to listen on (0: any free port). */
  readonly port: number;
  /** Default all interfaces. */
  readonly host?: string;
  /** Seconds the main loop may go without turning before the endpoint answers 503. */
  readonly timeout: number;
}

export interface LivenessServer {
  readonly port: number;
  /** Set what `/readyz` answers (200 when true). */
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

// The worker: plain JavaScript (it is evaluated, not bundled), reading the stamp the main thread writes.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { createServer } = require('node:http');
const shared = new Float64Array(workerData.buffer);
const server = createServer((request, response) => {
  const path = (request.url || '/').split('?')[0];
  if (path === '/readyz') {
    const ready = shared[1] === 1;
    response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\\n' : 'not ready\\n');
    return;
  }
  const stuck = (Date.now() - shared[0]) / 1000;
  const alive = stuck <= workerData.timeout;
  response
    .writeHead(alive ? 200 : 503, { 'content-type': 'text/plain' })
    .end(alive ? 'alive\\n' : 'main loop stuck for ' + stuck.toFixed(1) + ' s (timeout ' + workerData.timeout + ' s)\\n');
});
server.on('error', (error) => parentPort.postMessage({ error: String(error && error.message || error) }));
server.listen(workerData.port, workerData.host, () => parentPort.postMessage({ port: server.address().port }));
`;

/** Start the endpoint; the returned server stamps the main loop's time until closed. */
export async function startLivenessServer(options: LivenessServerOptions): Promise<LivenessServer> {
  if (!(options.timeout > 0))
    throw new InvalidArgumentError(`the liveness timeout must be > 0 seconds, got ${options.timeout}`);
  const { Worker: WorkerThread } = await import('node:worker_threads');
  const buffer = new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT);
  const shared = new Float64Array(buffer);
  shared[0] = Date.now();
  const worker: Worker = new WorkerThread(WORKER, {
    eval: true,
    workerData: { buffer, port: options.port, host: options.host, timeout: options.timeout },
  });
  // A quarter of the timeout (at most 1 s): a loop that turns is never reported stuck.
  const beat = setInterval(() => (shared[0] = Date.now()), Math.min(1000, (options.timeout * 1000) / 4));
  beat.unref();
  try {
    const port = await new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (message: { port?: number; error?: string }) =>
        message.port !== undefined
          ? resolve(message.port)
          : reject(
              new InvalidArgumentError(
                `cannot serve liveness on port ${options.port}: ${message.error}; choose another port`,
              ),
            ),
      );
    });
    worker.unref();
    return {
      port,
      setReady: (ready) => void (shared[1] = ready ? 1 : 0),
      close: async () => {
        clearInterval(beat);
        await worker.terminate();
      },
    };
  } catch (error) {
    clearInterval(beat);
    await worker.terminate();
    throw error;
  }
}
