/** Connection resilience, written once for every transport (see reconnecting-connection.ts). */
export type { LivenessOptions } from './liveness';
export { watchLiveness } from './liveness';
export { PeriodicCheck } from './periodic-check';
export { ReconnectEvents } from './reconnect-events';
export type { ReconnectOptions, ReconnectPolicy } from './reconnect-policy';
export { RECONNECT_DEFAULTS, RECONNECT_JITTER, reconnectDelay, resolveReconnect } from './reconnect-policy';
export type {
  ConnectionErrorKind,
  ReconnectingConnectionOptions,
  SessionHooks,
} from './reconnecting-connection';
export { ReconnectingConnection } from './reconnecting-connection';
export type { WaitingSendsOptions } from './waiting-sends';
export {
  MAX_WAITING_BYTES,
  MAX_WAITING_SENDS,
  RESENT_HEADER,
  WaitingSends,
  sendTimeoutError,
} from './waiting-sends';
export { within } from './within';
