/**
 * What the dead-letter commands need to know about the configured broker, beyond the Transport contract:
 * how a queue's dead-letter queue is named (the transport descriptor's `deadLetterPrefix`: `DLQ.<queue>`
 * on ActiveMQ, `dlq.<queue>` on RabbitMQ) and, by the descriptor's `broker`, how to count messages
 * without taking them (ActiveMQ: Jolokia when a `jmx` block or `--jolokia-url` names it, else the
 * statistics plugin over the same STOMP transport; RabbitMQ: the management HTTP API, from a
 * `rabbitmqapi` block of the site configuration, the `--rabbit-api*` flags, or the AMQP host and
 * credentials on port 15672).
 */
import type { Command } from 'commander';
import { RabbitManagement, RabbitManagementError } from '@zocalo/rabbitmq-management';
import type { DlqCount } from '@zocalo/schlockmeister';
import {
  activemqDlqCheck,
  activemqStatistics,
  jolokiaDlqCheck,
  jolokiaQueueSize,
  managementFromSite,
  rabbitDlqCheck,
} from '@zocalo/schlockmeister';
import { knownTransport, knownTransports } from '@zocalo/configuration';
import type { Transport, TransportDescriptor, TransportSettings } from '@zocalo/workflows';
import { MemoryTransport, splitUrlCredentials } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './cli-error';
import type { JolokiaFlags } from './jolokia';
import { addJolokiaOptions, jolokiaFor, viaJolokia } from './jolokia';
import type { Site, SiteOptions } from './site';

/** The `--rabbit-api*` options as commander parses them. */
export interface ManagementOptions extends SiteOptions, JolokiaFlags {
  readonly rabbitApi?: string;
  readonly rabbitApiUser?: string;
  readonly rabbitApiPass?: string;
}

/** Add the RabbitMQ management API options to a command. */
export function addManagementOptions(command: Command): Command {
  addJolokiaOptions(command);
  return command
    .optionsGroup('RabbitMQ management API (counts):')
    .option(
      '--rabbit-api <url>',
      'management API URL (default: rabbitmqapi block, else http://<rabbit host>:15672)',
    )
    .option('--rabbit-api-user <user>', 'management API user (default: the AMQP user)')
    .option('--rabbit-api-pass <password>', 'management API password (default: the AMQP password)');
}

/**
 * How the queue commands name the broker's queues. ActiveMQ names `DLQ.<queue>` and the statistics
 * destinations outside a STOMP prefix (the descriptor's `destinationPrefix`), so under one these
 * commands connect without it and put it in front of the queue names given to them themselves
 * (python-zocalo's tools would double or miss it).
 */
export interface QueueNaming {
  /** The transport settings to connect with: the site's, less any destination prefix. */
  readonly settings: TransportSettings;
  /** The destination prefix of the site, if it has one. */
  readonly prefix?: string;
  /** The broker's name of a queue named on the command line: `<prefix>.<queue>` under a prefix. */
  brokerName(queue: string): string;
}

export function queueNaming(site: Site): QueueNaming {
  const settings = site.configuration.transport.settings;
  const prefixing = knownTransport(site.transportName)?.destinationPrefix;
  if (!prefixing) return { settings, brokerName: (queue) => queue };
  let prefix: string;
  try {
    // As the transport resolves it: flags and plain names, else its INI file (--stomp-conf).
    prefix = prefixing.of(settings);
  } catch (error) {
    throw new CliError(oneLine(error), EXIT_USAGE, { cause: error });
  }
  if (prefix === '') return { settings, brokerName: (queue) => queue };
  return {
    settings: prefixing.without(settings),
    prefix,
    brokerName: (queue) => prefixing.apply(prefix, queue),
  };
}

export interface DeadLetterBroker {
  /** `memory`: the embedded broker of this process (its `DLQ.<queue>` queues, gone when it ends). */
  readonly kind: 'activemq' | 'rabbitmq' | 'memory';
  /** The dead-letter queue of a queue; a name that already is one is returned as it is. */
  dlqName(queue: string): string;
  /** Message counts of every dead-letter queue, or of those of the given queues. */
  counts(queues?: readonly string[]): Promise<DlqCount[]>;
  /** Messages in a queue now, when the broker says (for a progress bar's total). */
  depth(queue: string): Promise<number | undefined>;
}

/** The management API client for a site: the `--rabbit-api*` flags over the site's settings. */
export function managementFor(site: Site, options: ManagementOptions): RabbitManagement {
  const fromSite = managementFromSite(site.configuration.blocks, site.configuration.transport.settings);
  const fromFlag = options.rabbitApi === undefined ? undefined : splitUrlCredentials(options.rabbitApi);
  return new RabbitManagement({
    ...fromSite,
    url: fromFlag?.url.replace(/\/api\/?$/, '') ?? fromSite.url,
    username: options.rabbitApiUser ?? fromFlag?.username ?? fromSite.username,
    password: options.rabbitApiPass ?? fromFlag?.password ?? fromSite.password,
  });
}

/**
 * A management API failure as one line: what it refused (with the broker's reason) or that it did not
 * answer, and how to point the command elsewhere.
 */
export function managementFailure(error: unknown): CliError {
  const what =
    error instanceof RabbitManagementError
      ? `refused ${error.method} ${error.path} (${error.status}${error.reason ? ` ${error.reason}` : ''})`
      : `did not answer (${oneLine(error)})`;
  return new CliError(
    `the RabbitMQ management API ${what}; give its URL and login with ` +
      '--rabbit-api URL --rabbit-api-user USER --rabbit-api-pass PASSWORD or a rabbitmqapi block',
    EXIT_FAILURE,
    { cause: error },
  );
}

async function managed<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (error) {
    throw managementFailure(error);
  }
}

/**
 * The dead-letter side of the configured broker; a transport without dead-letter queues is bad input.
 * `transport` is connected with {@link queueNaming}'s settings.
 */
export function deadLetterBroker(
  site: Site,
  transport: Transport,
  options: ManagementOptions,
  naming: QueueNaming = queueNaming(site),
): DeadLetterBroker {
  const name = site.transportName;
  const descriptor = knownTransport(name);
  const prefix = descriptor?.deadLetterPrefix;
  if (prefix !== undefined) {
    const dlqName = (queue: string): string =>
      queue.startsWith(prefix) ? queue : `${prefix}${naming.brokerName(queue)}`;
    if (descriptor?.broker === 'activemq') {
      const own = dlqName('');
      const jolokia = jolokiaFor(site, options);
      if (jolokia !== undefined) {
        return {
          kind: 'activemq',
          dlqName,
          // Without names: DLQ.<prefix>* only, as python-zocalo's check_dlq with a namespace.
          counts: (queues) =>
            viaJolokia(() =>
              jolokiaDlqCheck(jolokia, queues?.map(dlqName), { namespace: own.slice(prefix.length) }),
            ),
          depth: (queue) => viaJolokia(() => jolokiaQueueSize(jolokia, naming.brokerName(queue))),
        };
      }
      return {
        kind: 'activemq',
        dlqName,
        async counts(queues) {
          const counts = await activemqDlqCheck(transport, queues?.map(dlqName));
          // Without names: the DLQs under this site's prefix only.
          return queues !== undefined && queues.length > 0
            ? counts
            : counts.filter((count) => count.queue.startsWith(own));
        },
        async depth(queue) {
          const [reply] = await activemqStatistics(transport, naming.brokerName(queue), { wait: 1 });
          return reply?.size;
        },
      };
    }
    if (transport instanceof MemoryTransport) {
      const broker = transport.broker;
      const count = (queue: string): DlqCount => ({ queue, messages: broker.stats(queue).depth });
      return {
        kind: 'memory',
        dlqName,
        async counts(queues) {
          if (queues !== undefined && queues.length > 0) return queues.map((queue) => count(dlqName(queue)));
          return broker
            .queueNames()
            .filter((queue) => queue.startsWith(prefix))
            .sort()
            .map(count);
        },
        depth: async (queue) => broker.stats(naming.brokerName(queue)).depth,
      };
    }
    if (descriptor?.broker === 'rabbitmq') {
      const management = managementFor(site, options);
      return {
        kind: 'rabbitmq',
        dlqName,
        counts: (queues) => managed(() => rabbitDlqCheck(management, queues)),
        async depth(queue) {
          const all = await managed(() => management.queues());
          return all.find((entry) => entry.name === queue)?.messages;
        },
      };
    }
  }
  const choices = knownTransports()
    .filter((candidate) => hasDeadLetterTools(candidate) && candidate.broker !== undefined)
    .map((candidate) => `-t ${candidate.name}`)
    .join(' or ');
  throw new CliError(
    `the ${name} transport has no dead-letter queues to work on: choose a broker with ${choices} ` +
      '(or a site configuration for one)',
    EXIT_USAGE,
  );
}

/** The brokers these commands can count dead letters on: ActiveMQ and RabbitMQ. */
export function hasDeadLetterTools(descriptor: TransportDescriptor): boolean {
  return (
    descriptor.deadLetterPrefix !== undefined &&
    (descriptor.broker === 'activemq' || descriptor.broker === 'rabbitmq' || descriptor.name === 'memory')
  );
}
