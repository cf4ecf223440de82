/**
 * A tour of the client against a RabbitMQ with the management plugin (default: the one of
 * `pnpm brokers start`, guest/guest on http://127.0.0.1:15672): health, nodes, vhosts, then a user of
 * its own made from a `hashPassword` hash, who logs in, and is deleted again.
 *
 *   npx tsx example/tour.ts [http://user:password@host:15672]
 */
import { RabbitManagement, hashPassword, passwordMatches } from '../src';

const management = new RabbitManagement({ url: process.argv[2] ?? 'http://127.0.0.1:15672' });

const { passed, failed } = await management.healthChecks();
console.log(`health checks: ${Object.keys(passed).length} passed, failed: ${JSON.stringify(failed)}`);
for (const node of await management.nodes()) {
  console.log(`node ${node.name}: running ${node.running}, ${node.mem_used} bytes used`);
}
console.log(`vhosts: ${(await management.vhostNames()).join(', ')}`);
console.log(`exchange types: ${(await management.exchangeTypes()).join(', ')}`);

const name = `zocalo-example-${process.pid}`;
const hash = hashPassword('letmein');
await management.putUser({ name, password_hash: hash, tags: ['monitoring'] });
try {
  const stored = await management.user(name);
  console.log(
    `user ${name}: hash stored as given: ${stored?.password_hash === hash}, ` +
      `password matches: ${passwordMatches('letmein', stored?.password_hash ?? '')}`,
  );
  const asUser = new RabbitManagement({ url: management.url, username: name, password: 'letmein' });
  console.log(`logged in as ${JSON.stringify(await asUser.whoami())}`);
} finally {
  await management.deleteUser(name);
}
