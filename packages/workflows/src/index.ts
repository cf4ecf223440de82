/**
 * @zocalo/workflows: the Transport contract, the machinery every transport shares, and the embedded
 * memory transport. Start reading at `transport.ts`.
 */
export type {
  AckOptions,
  BroadcastOptions,
  BroadcastSubscribeOptions,
  HeaderValue,
  IncomingMessage,
  MessageBody,
  MessageCallback,
  MessageHeaders,
  NackOptions,
  OutgoingMessage,
  PublishOptions,
  ReceivedHeaders,
  SendOptions,
  ServiceStateValue,
  StatusMessage,
  SubscribeOptions,
  SubscribeOptionsBase,
  SubscriptionId,
  TemporarySubscribeOptions,
  TemporarySubscription,
  TransactionId,
  TransactionOptions,
  Transport,
  TransportCapabilities,
  TransportEvent,
  TransportMiddleware,
} from './transport';
export { ServiceState } from './transport';
export {
  BrokerError,
  ConnectionError,
  DestinationNotFoundError,
  DisconnectedError,
  InvalidArgumentError,
  TransportConfigError,
  UnknownSubscriptionError,
  UnknownTransactionError,
  UnsupportedCapabilityError,
  ZocaloError,
} from './errors';
export type { CommonTransportOptions, Publication, SubscriptionRecord } from './common-transport';
export { CommonTransport, STATUS_EXPIRATION, STATUS_TOPIC, receivedHeaders } from './common-transport';
export { bodyText, decodeBody, encodeBody } from './body';
export { temporaryQueueName, uniqueHostId } from './host-id';
export type { Logger } from './logger';
export { getDefaultLogger, setDefaultLogger } from './logger';
export type { TransportFactory, TransportSettings } from './registry';
export { createTransport, registerTransport, registeredTransports } from './registry';
export type { BrokerConsumer, MemoryBrokerOptions, QueueStats, StoredMessage } from './memory/memory-broker';
export { MemoryBroker, MemoryQueue, defaultMemoryBroker } from './memory/memory-broker';
export type { MemoryTransportOptions } from './memory/memory-transport';
export { MemoryTransport } from './memory/memory-transport';
