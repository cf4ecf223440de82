/**
 * The AMQP transport's descriptor: what the registry, the site configuration, the command-line flags
 * and the `zocalo` command know about it. Light on purpose (`@zocalo/transport-amqp/descriptor`): it
 * loads amqplib only when `create` makes a transport.
 */
import type { Transport, TransportDescriptor, TransportSettings } from '@zocalo/workflows';
import { formatBrokerAddress } from '@zocalo/workflows';
import { amqpOptionsFromSettings, resolveAmqpOptions } from './amqp-settings';
import { DELAYED_EXCHANGE, HOLDING_QUEUE_PREFIX } from './delayed-delivery';
import { DEAD_LETTER_PREFIX } from './topology';

export const descriptor: TransportDescriptor = {
  name: 'amqp',
  // python-workflows' PikaTransport (its configuration plugin is `pika`).
  aliases: ['pika', 'rabbitmq'],
  description: 'RabbitMQ over AMQP 0-9-1',
  broker: 'rabbitmq',
  async create(settings: TransportSettings): Promise<Transport> {
    const { AmqpTransport } = await import('./amqp-transport');
    return new AmqpTransport(amqpOptionsFromSettings(settings));
  },
  describe(settings: TransportSettings): string {
    const resolved = resolveAmqpOptions(amqpOptionsFromSettings(settings));
    // Shuffled on every connection, as python-workflows does: listed sorted.
    const hosts = resolved.addresses.map(formatBrokerAddress).sort();
    return `${hosts.length > 1 ? `any of ${hosts.join(', ')}` : hosts[0]}, vhost ${resolved.vhost}, as ${resolved.username}`;
  },
  // python-workflows' `--rabbit-*` options and the keys of its `pika` configuration plugin.
  settings: [
    {
      key: 'host',
      type: 'hosts',
      flag: 'rabbit-host',
      help: 'RabbitMQ host(s), comma-separated',
      ini: true,
    },
    { key: 'port', type: 'ports', flag: 'rabbit-port', help: 'RabbitMQ AMQP port(s)', ini: true },
    {
      key: 'username',
      type: 'text',
      flag: 'rabbit-user',
      placeholder: 'user',
      help: 'RabbitMQ user',
      ini: true,
    },
    {
      key: 'password',
      type: 'text',
      flag: 'rabbit-pass',
      placeholder: 'password',
      help: 'RabbitMQ password',
      ini: true,
    },
    { key: 'vhost', type: 'string', flag: 'rabbit-vhost', help: 'RabbitMQ virtual host', ini: true },
  ],
  iniFile: { flag: 'rabbit-conf', section: 'rabbit' },
  deadLetterPrefix: DEAD_LETTER_PREFIX,
  holding: { queuePrefixes: [HOLDING_QUEUE_PREFIX], exchanges: [DELAYED_EXCHANGE] },
};
