/**
 * @zocalo/transport-stomp: Zocalo over ActiveMQ (STOMP 1.1/1.2, on stompit), wire-compatible with
 * python-workflows' StompTransport. Importing this package registers the transport as `stomp`; its
 * descriptor (names, flags, INI section, dead-letter naming) is also `@zocalo/transport-stomp/descriptor`,
 * which loads no STOMP client.
 *
 * Start reading at `stomp-transport.ts` (the transport on the CommonTransport base), then
 * `stomp-channel.ts` (one connection kept up: reconnection, retried sends), `stomp-link.ts` (one
 * STOMP connection on stompit: receipts, windows, ERROR frames, stalls), `frame-writer.ts` and
 * `header-escaping.ts` (outgoing frames, escaped per STOMP 1.1/1.2, written in few socket writes),
 * `stomp-headers.ts` (the frames of the wire format), `stomp-settings.ts` and `ini.ts` (options,
 * `--stomp-*`, `--stomp-conf`, host lists).
 */
import { registerTransport } from '@zocalo/workflows';
import { descriptor } from './descriptor';

export { descriptor } from './descriptor';
export { StompTransport } from './stomp-transport';
export { RESENT_HEADER } from '@zocalo/workflows';
export { SendBacklogFullError } from '@zocalo/workflows';
export type {
  BrokerAddress,
  ReceiptMode,
  ReconnectOptions,
  ResolvedStompOptions,
  StompTransportOptions,
} from './stomp-settings';
export {
  STOMP_DEFAULTS,
  brokerAddresses,
  prefixed,
  readStompConf,
  resolveStompOptions,
  stompOptionsFromArgs,
  stompOptionsFromSettings,
} from './stomp-settings';
export {
  ackHeaders,
  destinationOf,
  NO_ACK_PREFETCH,
  receivedHeaders,
  sendHeaders,
  stompReceivedHeaders,
  subscribeHeaders,
  subscriptionPrefetch,
} from './stomp-headers';
export { escapeHeader11, escapeHeader12, headerEncoder } from './header-escaping';

registerTransport(descriptor);
