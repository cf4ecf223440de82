/**
 * @zocalo/transport-amqp: Zocalo over RabbitMQ (AMQP 0-9-1, amqplib), wire-compatible with
 * python-workflows' pika transport. Importing this package registers the transport as `amqp` and
 * `pika`. Start reading at `amqp-transport.ts`.
 */
import type { TransportSettings } from '@zocalo/workflows';
import { registerTransport } from '@zocalo/workflows';
import { amqpOptionsFromSettings } from './amqp-settings';
import { AmqpTransport } from './amqp-transport';

export { AmqpTransport, NO_ACK_PREFETCH, classifyAmqpError } from './amqp-transport';
export { MAX_WAITING_BYTES, MAX_WAITING_SENDS } from '@zocalo/workflows';
export { SendBacklogFullError } from '@zocalo/workflows';
export type {
  AmqpTransportOptions,
  BrokerAddress,
  DeadLetterMode,
  DelayMode,
  ReconnectOptions,
  ResolvedAmqpOptions,
} from './amqp-settings';
export {
  AMQP_DEFAULTS,
  amqpOptionsFromSettings,
  brokerAddresses,
  readRabbitConf,
  shuffledBrokerAddresses,
  resolveAmqpOptions,
} from './amqp-settings';
export type { DelayTarget } from './delayed-delivery';
export { DELAYED_EXCHANGE, holdingQueueArguments, holdingQueueName } from './delayed-delivery';
export { deadLetterHeaders } from './dead-letter';
export { deadLetterQueueName } from './topology';

/** The registry factory: settings of a `pika`/`amqp` configuration block or `--rabbit-*` flags. */
export function createAmqpTransport(settings: TransportSettings = {}): AmqpTransport {
  return new AmqpTransport(amqpOptionsFromSettings(settings));
}

registerTransport('amqp', createAmqpTransport);
registerTransport('pika', createAmqpTransport);
