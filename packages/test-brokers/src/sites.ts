/**
 * The three transports as site configurations (python-zocalo's YAML), for the tests that run on each:
 * the embedded memory transport, ActiveMQ and RabbitMQ as `scripts/brokers.sh` runs them. The test
 * imports the transport packages itself (this package does not depend on them).
 */
import type { BrokerKind } from './index';
import { BROKERS, rabbitManagement } from './index';

export interface SiteOfTest {
  readonly label: 'memory' | 'ActiveMQ' | 'RabbitMQ';
  /** The broker `requireBroker` must find; none for memory. */
  readonly broker?: BrokerKind;
  /** The transport's configuration block, named `transport-block`. */
  readonly block: string;
}

// Getters: index.ts re-exports this module, so BROKERS is not initialised yet while this one loads
// as an ES module (a child process under tsx); read it only when a test asks.
export const SITES: readonly SiteOfTest[] = [
  { label: 'memory', block: 'transport-block:\n  plugin: memory\n' },
  {
    label: 'ActiveMQ',
    broker: 'stomp',
    get block() {
      return (
        `transport-block:\n  plugin: stomp\n  host: ${BROKERS.stomp.host}\n  port: ${BROKERS.stomp.port}\n` +
        `  username: ${BROKERS.stomp.user}\n  password: ${BROKERS.stomp.pass}\n  prefix: ''\n`
      );
    },
  },
  {
    label: 'RabbitMQ',
    broker: 'amqp',
    get block() {
      return (
        `transport-block:\n  plugin: pika\n  host: ${BROKERS.amqp.host}\n  port: ${BROKERS.amqp.port}\n` +
        '  username: guest\n  password: guest\n  vhost: /\n'
      );
    },
  },
];

/** A site configuration: the transport's block, the extra blocks given, all in the default environment. */
export function siteYaml(site: SiteOfTest, blocks: Record<string, string> = {}): string {
  const names = ['transport-block', ...Object.keys(blocks)];
  return `version: 1\n${site.block}${Object.values(blocks).join('')}environments:\n  default: [${names.join(', ')}]\n`;
}

/** Where a rejected message of `queue` goes on this site. */
export function deadLetterQueue(site: SiteOfTest, queue: string): string {
  return site.broker === 'amqp' ? `dlq.${queue}` : `DLQ.${queue}`;
}

/** Remove the queues (and their dead-letter queues) a test made on RabbitMQ; nothing to do elsewhere. */
export async function removeQueues(site: SiteOfTest, queues: readonly string[]): Promise<void> {
  if (site.broker !== 'amqp') return;
  for (const queue of queues) {
    await rabbitManagement.deleteQueue(queue).catch(() => false);
    await rabbitManagement.deleteQueue(`dlq.${queue}`).catch(() => false);
  }
}
