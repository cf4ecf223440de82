// A fixed order for the fault tests: the RabbitMQ node-loss test first, on a cluster no test has yet
// killed a node of. Run after service-failover (which kills and restarts a node), it saw no delivery
// for 60 s after its own kill although the queue had a new leader within 150 ms: a finding of
// issue #20 still to be explained (see its note), not a reason to let the suite's order decide.
const Sequencer = require('@jest/test-sequencer').default;

const ORDER = ['rabbitmq-node-loss', 'rabbitmq-dlq', 'service-failover', 'activemq-failover', 'activemq-dlq'];

function rank(path) {
  const index = ORDER.findIndex((name) => path.includes(`${name}.cluster.test.ts`));
  return index === -1 ? ORDER.length : index;
}

module.exports = class FixedOrder extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path));
  }
};
