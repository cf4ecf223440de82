/**
 * Every `zocalo` command that talks to a broker says on stderr which transport and broker it uses and
 * what chose them (#22): a newcomer with nothing configured sees that the default is STOMP on
 * localhost. python-zocalo's dotted commands print nothing of the kind, as Python's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, runPythonCommand } from '../src';
import { captureIo, tempDirectory } from './helpers';

const zocalo = (args: readonly string[], env: Record<string, string> = {}) => {
  const io = captureIo(env);
  return runCli(['node', 'zocalo', ...args], io).then((code) => ({ code, err: io.err.join('') }));
};

// Port 1 on loopback: nothing listens, so each command fails at once, after its announcement.
const NOWHERE_STOMP = ['--stomp-host', '127.0.0.1', '--stomp-port', '1'];
const NOWHERE_AMQP = ['--rabbit-host', '127.0.0.1', '--rabbit-port', '1'];

describe('where a zocalo command sends, said on stderr', () => {
  it('with nothing configured: the built-in default, STOMP on localhost, and how to choose another', async () => {
    // It then connects to localhost:61613, where the test broker may or may not be: either way is fine.
    const { err } = await zocalo(['shutdown', 'nobody.announcement']);
    expect(err.split('\n')[0]).toBe(
      'zocalo shutdown: stomp (ActiveMQ over STOMP): localhost:61613 as admin — the built-in default: ' +
        'no site configuration (--config or $ZOCALO_CONFIG), no -t, no $ZOCALO_TRANSPORT',
    );
    // Broker options alone choose their transport.
    const flagged = await zocalo(['shutdown', 'nobody', ...NOWHERE_STOMP]);
    expect(flagged.code).toBe(1);
    expect(flagged.err).toContain(
      'zocalo shutdown: stomp (ActiveMQ over STOMP): 127.0.0.1:1 as admin — chosen by the stomp options given (no site configuration)\n',
    );
    expect(flagged.err).toMatch(/cannot connect to the stomp broker/);
  });

  it('ZOCALO_TRANSPORT chooses the transport, and the line says so; -t wins over it', async () => {
    const amqp = await zocalo(['dlq', 'check', 'some.queue', ...NOWHERE_AMQP], { ZOCALO_TRANSPORT: 'amqp' });
    expect(amqp.err).toContain(
      'zocalo dlq check: amqp (RabbitMQ over AMQP 0-9-1): 127.0.0.1:1, vhost /, as guest — chosen by $ZOCALO_TRANSPORT\n',
    );
    const flagged = await zocalo(['shutdown', 'nobody', '-t', 'stomp', ...NOWHERE_STOMP], {
      ZOCALO_TRANSPORT: 'amqp',
    });
    expect(flagged.err).toContain(
      'zocalo shutdown: stomp (ActiveMQ over STOMP): 127.0.0.1:1 as admin — chosen by -t\n',
    );
  });

  it('from a site file: the file, the environment and why that transport; a host list in order', async () => {
    const dir = tempDirectory();
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'activemq: {plugin: stomp, host: "127.0.0.1,::1", port: 1, username: zocalo, password: secret-pw, prefix: zocalo}',
        'environments: {live: [activemq]}',
      ].join('\n'),
    );
    const { code, err } = await zocalo(['shutdown', 'nobody', '--config', file, '-e', 'live']);
    expect(code).toBe(1);
    expect(err).toContain(
      `zocalo shutdown: stomp (ActiveMQ over STOMP): 127.0.0.1:1, then [::1]:1 as zocalo, prefix zocalo — ` +
        `from site configuration ${file}, environment live (only configured transport)\n`,
    );
    expect(err).not.toContain('secret-pw');
  });

  it('-t memory on a command that sends and exits warns that the message is lost with the process', async () => {
    const { code, err } = await zocalo(['shutdown', 'nobody', '-t', 'memory']);
    expect(code).toBe(0);
    expect(err).toContain(
      'zocalo shutdown: memory (embedded, in one process): its queues end with this process — chosen by -t\n',
    );
    expect(err).toContain(
      'zocalo shutdown: warning: the memory transport lives in this process only: what this command sends is gone when it exits',
    );
    // A command that only reads: no warning.
    const check = await zocalo(['dlq', 'check', 'some.queue', '-t', 'memory']);
    expect(check.err).not.toContain('warning');
  });

  it("python-zocalo's dotted commands print nothing about it, as Python's", async () => {
    const io = captureIo();
    const code = await runPythonCommand('zocalo.shutdown', ['nobody', ...NOWHERE_STOMP], io);
    expect(code).toBe(1);
    expect(io.err.join('')).not.toMatch(/ActiveMQ over STOMP|built-in default/);
  });
});
