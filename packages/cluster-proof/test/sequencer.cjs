// A fixed order for the fault tests, so that a run is the same in CI as by hand. The RabbitMQ tests
// that kill nodes reset the cluster first (after a node was killed and restarted, a second kill left
// every client without a delivery for 60 s although the queue had a new leader within 150 ms: a
// finding of issue #20 still to be explained, see its note).
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
