/**
 * Schlockmeister as a Zocalo service on the service runtime (`zocalo service Schlockmeister`, see
 * `create-schlockmeister.ts`). It works on the runtime's transport directly, because it acks/nacks its
 * catches itself and needs no transactions, and stops in `inShutdown()`. What it does depends on the broker:
 *
 * - a transport with selectors (ActiveMQ over STOMP): the {@link Schlockmeister}, which quarantines poison
 *   messages itself;
 * - RabbitMQ (`amqp`), which has no selectors: every `scanInterval` it makes sure the service queues are
 *   protected ({@link rabbitProtect}: a delivery-limit policy into `dlq.<queue>`, classic queues reported
 *   once as unprotected) and watches the `dlq.*` queues ({@link RabbitDlqWatcher}), logging each message the
 *   broker quarantined with its `x-death` history. It never consumes a service queue.
 */
import type { Logger, ServiceDefinition, Transport } from '@zocalo/workflows';
import { ZocaloError, defineService } from '@zocalo/workflows';
import { SCHLOCKMEISTER_ERROR_CODES } from './errors';
import type { RabbitManagementOptions } from '@zocalo/rabbitmq-management';
import { RabbitManagement } from '@zocalo/rabbitmq-management';
import type { ProtectionReport } from './rabbit';
import { rabbitProtect } from './rabbit';
import type { QuarantineArrival } from './rabbit-watch';
import { RabbitDlqWatcher } from './rabbit-watch';
import type { QuarantinedMessage } from './schlockmeister';
import { Schlockmeister } from './schlockmeister';
import type { SchlockmeisterSettings } from './settings';

export interface SchlockmeisterServiceOptions extends SchlockmeisterSettings {
  /** ActiveMQ: called after each message quarantined. */
  readonly onQuarantine?: (caught: QuarantinedMessage) => void;
  /** RabbitMQ: the management API (default: guest on 127.0.0.1:15672). */
  readonly management?: RabbitManagementOptions;
  /** RabbitMQ: report the queues that would get a policy, create nothing. */
  readonly dryRun?: boolean;
  /** RabbitMQ: called after each protection scan with its reports. */
  readonly onProtect?: (reports: readonly ProtectionReport[]) => void;
  /** RabbitMQ: called for each newly quarantined message found in a `dlq.*` queue. */
  readonly onArrival?: (arrival: QuarantineArrival) => void;
}

/** Thrown at start on a transport Schlockmeister cannot work with. */
export class SchlockmeisterTransportError extends ZocaloError {
  static override readonly code: string = SCHLOCKMEISTER_ERROR_CODES.SchlockmeisterTransportError;

  constructor(message: string) {
    super(message);
  }
}

interface Running {
  stop(): Promise<void>;
}

async function startActiveMq(
  options: SchlockmeisterServiceOptions,
  transport: Transport,
  logger: Logger,
): Promise<Running> {
  const schlockmeister = new Schlockmeister({ ...options, transport, logger });
  await schlockmeister.start();
  return schlockmeister;
}

async function startRabbitMq(options: SchlockmeisterServiceOptions, logger: Logger): Promise<Running> {
  const management = new RabbitManagement(options.management);
  const include =
    options.include ?? (options.queues && options.queues.length > 0 ? options.queues : undefined);
  const reported = new Set<string>();
  const protect = async (): Promise<void> => {
    const reports = await rabbitProtect(management, {
      limit: options.limit,
      include,
      ignore: options.ignore,
      dryRun: options.dryRun,
    });
    for (const report of reports) {
      if (report.status === 'created' || report.status === 'would-create') {
        logger.info(
          { queue: report.queue, policy: report.policy, limit: options.limit ?? 5 },
          report.status === 'created'
            ? `Schlockmeister: ${report.queue} is now protected (policy ${report.policy} → dlq.${report.queue})`
            : `Schlockmeister: ${report.queue} would get policy ${report.policy} (dry run)`,
        );
      } else if (report.status !== 'protected' && !reported.has(`${report.queue}:${report.status}`)) {
        // Said once per queue: a classic queue or another policy stays so until a person acts.
        reported.add(`${report.queue}:${report.status}`);
        logger.warn(
          { queue: report.queue, type: report.type, status: report.status, policy: report.policy },
          report.status === 'unprotected-classic'
            ? `Schlockmeister: ${report.queue} is a classic queue, which keeps no delivery count: poison messages on it are never quarantined (make it a quorum queue)`
            : `Schlockmeister: ${report.queue} is governed by policy ${report.policy}, which has no delivery limit and dead-letter exchange: add them to it`,
        );
      }
    }
    options.onProtect?.(reports);
  };
  await protect();
  const watcher = new RabbitDlqWatcher({
    management,
    include: include?.map((pattern) => `dlq.${pattern}`),
    scanInterval: options.scanInterval,
    logger,
    onArrival: options.onArrival,
  });
  await watcher.start();
  let scanning: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      scanning ??= protect()
        .catch((error: unknown) => logger.warn({ err: error }, 'Schlockmeister: protection scan failed'))
        .finally(() => {
          scanning = undefined;
        });
    },
    (options.scanInterval ?? 5) * 1000,
  );
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await scanning;
      await watcher.stop();
    },
  };
}

export function schlockmeisterService(options: SchlockmeisterServiceOptions = {}): ServiceDefinition {
  let running: Running | undefined;
  return defineService({
    name: 'Schlockmeister',
    async initializing(context) {
      const { transport, logger } = context;
      if (transport.capabilities.selectors) running = await startActiveMq(options, transport, logger);
      else if (transport.name === 'amqp') running = await startRabbitMq(options, logger);
      else {
        throw new SchlockmeisterTransportError(
          `Schlockmeister cannot work on the ${transport.name} transport: it needs selectors (ActiveMQ, ` +
            '-t stomp) or RabbitMQ (-t amqp), whose brokers quarantine by themselves under its policies',
        );
      }
    },
    async inShutdown() {
      await running?.stop();
      running = undefined;
    },
  });
}
