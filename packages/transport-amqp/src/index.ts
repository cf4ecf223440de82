/**
 * @zocalo/transport-amqp: Zocalo over RabbitMQ (AMQP 0-9-1, amqplib), wire-compatible with
 * python-workflows' pika transport. Importing this package registers the transport as `amqp` (aliases
 * `pika`, `rabbitmq`); its descriptor (names, flags, INI section, dead-letter and holding-queue naming)
 * is also `@zocalo/transport-amqp/descriptor`, which loads no AMQP client. Start reading at
 * `amqp-transport.ts`.
 */
import type { TransportSettings } from '@zocalo/workflows';
import { registerTransport } from '@zocalo/workflows';
import { amqpOptionsFromSettings } from './amqp-settings';
import { AmqpTransport } from './amqp-transport';
import { descriptor } from './descriptor';

export { descriptor } from './descriptor';
export { AMQP_ERROR_CODES, ChannelLostError } from './confirm-publisher';
export { AmqpTransport, NO_ACK_PREFETCH, classifyAmqpError } from './amqp-transport';
export { RESENT_HEADER } from '@zocalo/workflows';
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
export {
  DELAYED_EXCHANGE,
  HOLDING_QUEUE_PREFIX,
  holdingQueueArguments,
  holdingQueueName,
} from './delayed-delivery';
export { deadLetterHeaders } from './dead-letter';
export { DEAD_LETTER_PREFIX, deadLetterQueueName } from './topology';

/** The registry factory: settings of a `pika`/`amqp` configuration block or `--rabbit-*` flags. */
export function createAmqpTransport(settings: TransportSettings = {}): AmqpTransport {
  return new AmqpTransport(amqpOptionsFromSettings(settings));
}

registerTransport(descriptor);
