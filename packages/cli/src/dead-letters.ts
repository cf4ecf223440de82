/**
 * What the dead-letter commands need to know about the configured broker, beyond the Transport contract:
 * how a queue's dead-letter queue is named (`DLQ.<queue>` on ActiveMQ, `dlq.<queue>` on RabbitMQ) and how
 * to count messages without taking them (ActiveMQ: the statistics plugin, over the same STOMP transport;
 * RabbitMQ: the management HTTP API, from a `rabbitmqapi` block of the site configuration, the
 * `--rabbit-api*` flags, or the AMQP host and credentials on port 15672).
 */
import type { Command } from 'commander';
import type { DlqCount } from '@zocalo/schlockmeister';
import {
  RabbitManagement,
  activemqDlqCheck,
  activemqStatistics,
  managementFromSite,
  rabbitDlqCheck,
} from '@zocalo/schlockmeister';
import type { Transport } from '@zocalo/workflows';
import { settingText } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './cli-error';
import type { Site, SiteOptions } from './site';

/** The `--rabbit-api*` options as commander parses them. */
export interface ManagementOptions extends SiteOptions {
  readonly rabbitApi?: string;
  readonly rabbitApiUser?: string;
  readonly rabbitApiPass?: string;
}

/** Add the RabbitMQ management API options to a command. */
export function addManagementOptions(command: Command): Command {
  return command
    .optionsGroup('RabbitMQ management API (counts):')
    .option(
      '--rabbit-api <url>',
      'management API URL (default: rabbitmqapi block, else http://<rabbit host>:15672)',
    )
    .option('--rabbit-api-user <user>', 'management API user (default: the AMQP user)')
    .option('--rabbit-api-pass <password>', 'management API password (default: the AMQP password)');
}

export interface DeadLetterBroker {
  readonly kind: 'activemq' | 'rabbitmq';
  /** The dead-letter queue of a queue; a name that already is one is returned as it is. */
  dlqName(queue: string): string;
  /** Message counts of every dead-letter queue, or of those of the given queues. */
  counts(queues?: readonly string[]): Promise<DlqCount[]>;
  /** Messages in a queue now, when the broker says (for a progress bar's total). */
  depth(queue: string): Promise<number | undefined>;
}

function managementFor(site: Site, options: ManagementOptions): RabbitManagement {
  const fromSite = managementFromSite(site.configuration.blocks, site.configuration.transport.settings);
  return new RabbitManagement({
    ...fromSite,
    url: options.rabbitApi?.replace(/\/api\/?$/, '') ?? fromSite.url,
    username: options.rabbitApiUser ?? fromSite.username,
    password: options.rabbitApiPass ?? fromSite.password,
  });
}

/** Management API failures as one line saying which URL was asked and how to point elsewhere. */
async function managed<T>(management: RabbitManagement, what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (error) {
    throw new CliError(
      `the RabbitMQ management API did not answer (${oneLine(error)}); give its URL and login with ` +
        '--rabbit-api URL --rabbit-api-user USER --rabbit-api-pass PASSWORD or a rabbitmqapi block',
      EXIT_FAILURE,
      { cause: error },
    );
  }
}

/** The dead-letter side of the configured broker; a transport without dead-letter queues is bad input. */
export function deadLetterBroker(
  site: Site,
  transport: Transport,
  options: ManagementOptions,
): DeadLetterBroker {
  const name = site.transportName;
  if (name === 'stomp') {
    const prefix = settingText(site.configuration.transport.settings, [
      'prefix',
      'prfx',
      'stomp-prfx',
      '--stomp-prfx',
    ]);
    if (prefix !== undefined) {
      throw new CliError(
        `the dead-letter commands need a STOMP transport without a prefix (this one has "${prefix}"): ` +
          'ActiveMQ names DLQ.<queue> and its statistics destinations outside it; run without --stomp-prfx',
      );
    }
    return {
      kind: 'activemq',
      dlqName: (queue) => (queue.startsWith('DLQ.') ? queue : `DLQ.${queue}`),
      counts: (queues) => activemqDlqCheck(transport, queues),
      async depth(queue) {
        const [reply] = await activemqStatistics(transport, queue, { wait: 1 });
        return reply?.size;
      },
    };
  }
  if (name === 'amqp' || name === 'pika') {
    const management = managementFor(site, options);
    return {
      kind: 'rabbitmq',
      dlqName: (queue) => (queue.startsWith('dlq.') ? queue : `dlq.${queue}`),
      counts: (queues) => managed(management, () => rabbitDlqCheck(management, queues)),
      async depth(queue) {
        const all = await managed(management, () => management.queues());
        return all.find((entry) => entry.name === queue)?.messages;
      },
    };
  }
  throw new CliError(
    `the ${name} transport has no dead-letter queues to work on: choose a broker with -t stomp or -t amqp ` +
      '(or a site configuration for one)',
    EXIT_USAGE,
  );
}
