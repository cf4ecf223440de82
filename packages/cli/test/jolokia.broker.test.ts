/**
 * `zocalo dlq check` on ActiveMQ through its real Jolokia (scripts/brokers/jetty.xml), chosen by a site's
 * `jmx` block (python-zocalo's plugin, its keys exactly) or `--jolokia-url`; without either, the
 * statistics plugin answers as before, with the same counts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKERS, BROKER_FLAGS, requireBroker, requireJolokia, uniqueName } from '@zocalo/test-brokers';
import { StompTransport } from '@zocalo/transport-stomp';
import { RecordingLogger } from '@zocalo/workflows';
import { tempDirectory, zocalo } from './helpers';

jest.setTimeout(60_000);

const queue = uniqueName('zocalo.jolokia.cli');
let dir = '';
let site = '';

beforeAll(async () => {
  await requireBroker('stomp');
  await requireJolokia();
  const { host, port, user, pass } = BROKERS.stomp;
  const client = new StompTransport({
    host,
    port,
    username: user,
    password: pass,
    logger: new RecordingLogger(),
  });
  await client.connect();
  try {
    for (let n = 0; n < 2; n += 1) await client.rawSend(`DLQ.${queue}`, '{}', { persistent: true });
  } finally {
    await client.disconnect();
  }
  dir = tempDirectory({});
  site = join(dir, 'site.yaml');
  const jmx = BROKERS.jolokia;
  writeFileSync(
    site,
    `version: 1
broker:
  plugin: stomp
  host: ${host}
  port: ${port}
  username: ${user}
  password: ${pass}
jmx:
  plugin: jmx
  host: ${jmx.host}
  port: ${jmx.port}
  base_url: ${jmx.base_url}
  username: ${jmx.user}
  password: ${jmx.pass}
environments:
  default: [broker, jmx]
`,
  );
});

function countOf(stdout: string): number | undefined {
  const counts = JSON.parse(stdout) as Array<{ queue: string; messages: number }>;
  return counts.find((count) => count.queue === `DLQ.${queue}`)?.messages;
}

test('a jmx block, --jolokia-url and the statistics plugin give the same counts', async () => {
  const viaBlock = await zocalo(['dlq', 'check', '--json', '--config', site]);
  expect(viaBlock.stderr).toBe('');
  expect(countOf(viaBlock.stdout)).toBe(2);
  const { url, user, pass } = BROKERS.jolokia;
  const withLogin = url.replace('://', `://${user}:${pass}@`);
  const viaFlag = await zocalo([
    'dlq',
    'check',
    queue,
    '--json',
    ...BROKER_FLAGS.stomp,
    '--jolokia-url',
    withLogin,
  ]);
  expect(viaFlag.stderr).toBe('');
  expect(countOf(viaFlag.stdout)).toBe(2);
  const viaStatistics = await zocalo(['dlq', 'check', queue, '--json', ...BROKER_FLAGS.stomp]);
  expect(countOf(viaStatistics.stdout)).toBe(2);
});

test('a wrong Jolokia password fails the check with a message that says what to fix', async () => {
  const { url, user } = BROKERS.jolokia;
  const finished = await zocalo([
    'dlq',
    'check',
    ...BROKER_FLAGS.stomp,
    '--jolokia-url',
    url,
    '--jolokia-user',
    user,
    '--jolokia-pass',
    'wrong',
  ]);
  expect(finished.code).toBe(1);
  expect(finished.stderr).toMatch(
    /zocalo dlq check: Jolokia at .* refused the login of "admin" \(HTTP 401\)/,
  );
  expect(finished.stderr).toMatch(/--jolokia-url URL/);
});
