/**
 * The STOMP transport's descriptor: what the registry, the site configuration, the command-line flags
 * and the `zocalo` command know about it. Light on purpose (`@zocalo/transport-stomp/descriptor`): it
 * loads stompit only when `create` makes a transport.
 */
import type { Transport, TransportDescriptor, TransportSettings } from '@zocalo/workflows';
import { formatBrokerAddress } from '@zocalo/workflows';
import { prefixed, resolveStompOptions, stompOptionsFromSettings } from './stomp-settings';

export const descriptor: TransportDescriptor = {
  name: 'stomp',
  description: 'ActiveMQ over STOMP',
  broker: 'activemq',
  async create(settings: TransportSettings): Promise<Transport> {
    const { StompTransport } = await import('./stomp-transport');
    return new StompTransport(stompOptionsFromSettings(settings));
  },
  describe(settings: TransportSettings): string {
    const resolved = resolveStompOptions(stompOptionsFromSettings(settings));
    // The first host is preferred, the others tried in turn.
    const hosts = resolved.addresses.map(formatBrokerAddress).join(', then ');
    return `${hosts} as ${resolved.username}${resolved.prefix === '' ? '' : `, prefix ${resolved.prefix}`}`;
  },
  // python-workflows' `--stomp-*` options and the keys of its `stomp` configuration plugin.
  settings: [
    // Lists, as the transport takes them (a master/slave pair: tried in order on each reconnection).
    { key: 'host', type: 'hosts', flag: 'stomp-host', help: 'ActiveMQ host', ini: true },
    { key: 'port', type: 'ports', flag: 'stomp-port', help: 'ActiveMQ STOMP port', ini: true },
    {
      key: 'username',
      type: 'text',
      flag: 'stomp-user',
      placeholder: 'user',
      help: 'ActiveMQ user',
      ini: true,
    },
    {
      key: 'password',
      type: 'text',
      flag: 'stomp-pass',
      placeholder: 'password',
      help: 'ActiveMQ password',
      ini: true,
    },
    {
      key: 'prefix',
      type: 'text',
      flag: 'stomp-prfx',
      help: 'prefix of every queue and topic name',
      ini: true,
    },
  ],
  iniFile: { flag: 'stomp-conf', section: 'stomp' },
  deadLetterPrefix: 'DLQ.',
  // ActiveMQ names DLQ.<queue> and its statistics destinations outside the prefix.
  destinationPrefix: {
    of: (settings) => resolveStompOptions(stompOptionsFromSettings(settings)).prefix,
    // Every name stompOptionsFromSettings reads the prefix from, so that the empty one wins.
    without: (settings) => ({
      ...settings,
      prefix: '',
      prfx: undefined,
      'stomp-prfx': undefined,
      '--stomp-prfx': undefined,
    }),
    apply: prefixed,
  },
};
