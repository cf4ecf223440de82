/**
 * `zocalo.service --liveness` under a probe loop, as Kubernetes runs it: the service's handler blocks
 * its main loop on a message, the liveness endpoint fails once the timeout has passed, the probe
 * loop kills the process and starts it again, and the new instance answers 200.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { BROKER_FLAGS, requireBroker, sleep, uniqueName } from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import { RecordingLogger } from '@zocalo/workflows';
import { CLI_DIR, childEnv, pythonBin } from './helpers';

jest.setTimeout(60_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** One probe as the kubelet makes it: the status, or 0 when it cannot connect or times out (1 s). */
function probe(port: number, path = '/'): Promise<number> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

test('a service whose main loop is blocked is killed and restarted by a liveness probe loop', async () => {
  await requireBroker('amqp');
  const queue = uniqueName('liveness');
  const port = await freePort();
  const start = (token: string): ChildProcess =>
    spawn(
      process.execPath,
      [
        pythonBin('zocalo.service'),
        '-s',
        './test/fixtures/stall-service.mjs',
        '--liveness',
        '--liveness-port',
        String(port),
        '--liveness-timeout',
        '2',
        ...BROKER_FLAGS.amqp,
      ],
      {
        cwd: CLI_DIR,
        env: childEnv({ STALL_QUEUE: queue, STALL_TOKEN: token, ZOCALO_LOG_LEVEL: 'warn' }),
        stdio: 'ignore',
      },
    );
  const client = new AmqpTransport({ host: '127.0.0.1', port: 5672, logger: new RecordingLogger() });
  await client.connect();
  let child = start('first');
  const killed: Array<NodeJS.Signals | null> = [];
  let restarts = 0;
  try {
    // The probe loop: every 250 ms; 200 is alive; a failure after the service was alive is a kill and a restart.
    let alive = false;
    let stallSent = false;
    let answeredAfterRestart = false;
    const deadline = Date.now() + 45_000;
    while (!answeredAfterRestart && Date.now() < deadline) {
      const status = await probe(port);
      if (status === 200) {
        alive = true;
        if (restarts > 0) answeredAfterRestart = true;
        else if (!stallSent && (await probe(port, '/readyz')) === 200) {
          // Ready: connected and subscribed, so the queue exists to send to.
          await client.send(queue, { stall: 'first' });
          stallSent = true;
        }
      } else if (alive && stallSent && restarts === 0) {
        expect(status).toBe(503);
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          child.once('exit', (_code, signal) => resolve(signal)),
        );
        child.kill('SIGKILL');
        killed.push(await exited);
        restarts += 1;
        alive = false;
        child = start('second');
      }
      await sleep(250);
    }
    expect(killed).toEqual(['SIGKILL']);
    expect(restarts).toBe(1);
    expect(answeredAfterRestart).toBe(true);
  } finally {
    child.kill('SIGKILL');
    await client.disconnect();
  }
});
