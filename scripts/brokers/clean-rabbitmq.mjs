// Deletes the queues earlier test and bench runs left on the loopback RabbitMQ (the test suites'
// names, see TEST_NAME, and their dlq. twins), unless a consumer uses them. Every quorum queue
// keeps files open, and a RabbitMQ started by the machine has a limit of 1024: a few hundred leftovers
// exhaust it and new connections time out. Fanout exchanges of the same names (broadcast topics) go too,
// where nothing is bound to them. Usage: node clean-rabbitmq.mjs [management URL]
import { Buffer } from 'node:buffer';

const base = process.argv[2] ?? 'http://127.0.0.1:15672';
const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
// The names the test suites give (uniqueName prefixes, the conformance harness, the example), with
// their dlq. twins and the AMQP transport's delay holding queues for them; nothing else is touched.
const TEST_NAME = String.raw`(test|example|test-brokers|cli-e2e-\w+|zocalo\.(amqp|stomp|conformance|ns))\.`;
const LEFTOVER = new RegExp(
  String.raw`^(dlq\.)?(zocalo\.delay\.\d+ms\.(queue|topic|exchange)\.)?${TEST_NAME}`,
);

async function api(method, path, allowed = [404]) {
  const response = await globalThis.fetch(`${base}/api${path}`, { method, headers: { authorization: auth } });
  if (!response.ok && !allowed.includes(response.status)) {
    throw new Error(`${method} ${base}/api${path}: HTTP ${response.status} ${await response.text()}`);
  }
  return response;
}

const queues = await (await api('GET', '/queues/%2F?columns=name,consumers')).json();
const leftovers = queues.filter((queue) => LEFTOVER.test(queue.name) && queue.consumers === 0);
let deleted = 0;
// A few at a time: deleting a quorum queue takes the broker a moment.
for (let i = 0; i < leftovers.length; i += 8) {
  await Promise.all(
    leftovers.slice(i, i + 8).map(async (queue) => {
      await api('DELETE', `/queues/%2F/${encodeURIComponent(queue.name)}`);
      deleted += 1;
    }),
  );
}

const exchanges = await (await api('GET', '/exchanges/%2F?columns=name')).json();
let deletedExchanges = 0;
for (const exchange of exchanges.filter((candidate) => LEFTOVER.test(candidate.name))) {
  // if-unused: the broker refuses (400) to delete an exchange something is still bound to.
  const response = await api(
    'DELETE',
    `/exchanges/%2F/${encodeURIComponent(exchange.name)}?if-unused=true`,
    [400, 404],
  );
  if (response.ok) deletedExchanges += 1;
}
console.log(
  `RabbitMQ: deleted ${deleted} queue(s) and ${deletedExchanges} exchange(s) left by earlier test runs ` +
    `(${queues.length - deleted} queue(s) remain)`,
);
