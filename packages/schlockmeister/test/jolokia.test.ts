/**
 * Queue sizes through ActiveMQ's real Jolokia (scripts/brokers/jetty.xml): the read python-zocalo's
 * `check_dlq` sends, the same counts as the statistics plugin, and each failure as a JolokiaError whose
 * message holds no password.
 */
import { BROKERS, requireBroker, requireJolokia, uniqueName } from '@zocalo/test-brokers';
import type { StompTransport } from '@zocalo/transport-stomp';
import {
  Jolokia,
  JolokiaError,
  activemqDlqCheck,
  jolokiaDlqCheck,
  jolokiaFromJmx,
  jolokiaQueueSize,
} from '../src';
import { stompTransport } from './helpers';

jest.setTimeout(60_000);

const { host, port, base_url, url, user, pass } = BROKERS.jolokia;
const jolokia = new Jolokia(jolokiaFromJmx({ host, port, base_url, username: user, password: pass }));
let client: StompTransport;

beforeAll(async () => {
  await requireBroker('stomp');
  await requireJolokia();
  client = stompTransport();
  await client.connect();
});

afterAll(async () => {
  await client?.disconnect();
});

async function failure(attempt: Promise<unknown>): Promise<JolokiaError> {
  const error: unknown = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(JolokiaError);
  return error as JolokiaError;
}

test("a jmx block's URL, as python-zocalo builds it", () => {
  expect(jolokiaFromJmx({ host, port, base_url, username: user, password: pass }).url).toBe(url);
  expect(jolokiaFromJmx({ host: 'h', port: '8161', base_url: '/api/jolokia/' }).url).toBe(
    'http://h:8161/api/jolokia/',
  );
  expect(jolokiaFromJmx({ base_url: 'https://u:p@amq:8443/api/jolokia' }).url).toBe(
    'https://u:p@amq:8443/api/jolokia',
  );
  expect(new Jolokia({ url: 'http://u:p%40ss@amq:8161/api/jolokia/' }).url).toBe(
    'http://amq:8161/api/jolokia',
  );
});

test('DLQ sizes through Jolokia equal those of the statistics plugin', async () => {
  const queue = uniqueName('zocalo.jolokia');
  for (let n = 0; n < 3; n += 1) await client.rawSend(`DLQ.${queue}`, `{"n": ${n}}`, { persistent: true });
  await client.rawSend(`DLQ.${queue}.other`, '{}', { persistent: true });
  let sizes: Array<{ queue: string; messages: number }> = [];
  for (let tries = 0; tries < 50; tries += 1) {
    sizes = await jolokiaDlqCheck(jolokia, undefined, { namespace: `${queue}` });
    if (sizes.length === 2) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(sizes).toEqual([
    { queue: `DLQ.${queue}`, messages: 3 },
    { queue: `DLQ.${queue}.other`, messages: 1 },
  ]);
  // Named queues, with or without the DLQ. prefix; a missing one counts 0.
  expect(await jolokiaDlqCheck(jolokia, [queue, `DLQ.${queue}.none`])).toEqual([
    { queue: `DLQ.${queue}`, messages: 3 },
    { queue: `DLQ.${queue}.none`, messages: 0 },
  ]);
  expect(await activemqDlqCheck(client, [queue])).toEqual([{ queue: `DLQ.${queue}`, messages: 3 }]);
  expect(await jolokiaQueueSize(jolokia, `DLQ.${queue}`)).toBe(3);
  expect(await jolokiaQueueSize(jolokia, `${queue}.never`)).toBeUndefined();
  // python-zocalo's own request: brokerName=localhost. The test broker is named zocalo-test, so that finds
  // nothing (Jolokia's status 404), which is why ours asks for any broker name.
  const reply = await jolokia.read(
    'org.apache.activemq:type=Broker,brokerName=localhost,destinationType=Queue,destinationName=DLQ.*',
    'QueueSize',
  );
  expect(reply.status).toBe(404);
});

test('a wrong password, a wrong path and a closed port are JolokiaErrors without the password', async () => {
  const canary = 'canary-jolokia-password';
  const refused = await failure(
    jolokiaDlqCheck(new Jolokia({ url: `http://${user}:${canary}@${host}:${port}/${base_url}` })),
  );
  expect(refused.status).toBe(401);
  expect(refused.message).toMatch(/refused the login of "admin" \(HTTP 401\)/);
  const wrongPath = await failure(
    jolokiaDlqCheck(new Jolokia({ url: `http://${host}:${port}/nowhere`, username: user, password: canary })),
  );
  expect(wrongPath.message).toMatch(/no Jolokia agent at|refused/);
  const closed = await failure(
    jolokiaDlqCheck(new Jolokia({ url: `http://${user}:${canary}@127.0.0.1:9/api/jolokia`, timeout: 2000 })),
  );
  expect(closed.message).toMatch(/did not answer/);
  for (const error of [refused, wrongPath, closed]) expect(error.message).not.toContain(canary);
  expect(() => new Jolokia({ url: 'not a url' })).toThrow(JolokiaError);
});
