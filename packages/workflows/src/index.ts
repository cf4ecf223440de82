/**
 * @zocalo/workflows: the Transport contract, the machinery every transport shares, and the embedded
 * memory transport. Start reading at `transport.ts`.
 */
export type {
  AckCall,
  AckOptions,
  BroadcastOptions,
  BroadcastSubscribeOptions,
  HeaderValue,
  IncomingMessage,
  MessageBody,
  MessageCallback,
  MessageHeaders,
  MiddlewareNext,
  NackCall,
  NackOptions,
  OutgoingMessage,
  PublishOptions,
  ReceivedHeaders,
  SendOptions,
  ServiceStateValue,
  StatusMessage,
  SubscribeCall,
  SubscribeOptions,
  SubscribeOptionsBase,
  SubscriptionId,
  TemporarySubscribeOptions,
  TemporarySubscription,
  TransactionBeginCall,
  TransactionCall,
  TransactionId,
  TransactionOptions,
  Transport,
  TransportCapabilities,
  TransportEvent,
  TransportMiddleware,
  UnsubscribeCall,
} from './transport';
export { ServiceState } from './transport';
export type { OperationCounts } from './middleware';
export { CounterMiddleware, TimerMiddleware } from './middleware';
export type { TraceAttributeSink, TraceAttributeValue, TraceLogFields } from './trace-attributes';
export {
  setTraceAttributeSink,
  setTraceAttributes,
  setTraceLogFields,
  traceLogFields,
} from './trace-attributes';
export {
  BrokerError,
  ConnectionError,
  SendBacklogFullError,
  DestinationNotFoundError,
  DisconnectedError,
  InvalidArgumentError,
  LoginRefusedError,
  MessageRefusedError,
  OutputLimitError,
  PERMANENT_ERROR_CODE,
  PermanentError,
  TransportConfigError,
  UnknownSubscriptionError,
  UnknownTransactionError,
  UnsupportedCapabilityError,
  ZOCALO_ERROR_CODES,
  ZocaloError,
  isPermanentError,
  isZocaloError,
} from './errors';
export type { CommonTransportOptions, Publication, SubscriptionRecord } from './common-transport';
export { CommonTransport, STATUS_EXPIRATION, STATUS_TOPIC } from './common-transport';
export { MAX_BODY_DEPTH, bodyText, decodeBody, encodeBody, jsonDepth } from './body';
export { temporaryQueueName, uniqueHostId } from './host-id';
export type { Logger } from './logger';
export { getDefaultLogger, setDefaultLogger } from './logger';
export type { LogLevel, LogRecord, RecordingLoggerOptions } from './recording-logger';
export { RecordingLogger } from './recording-logger';
export type { TransportFactory } from './registry';
export {
  createTransport,
  findTransportDescriptor,
  plainTransportName,
  registerTransport,
  registeredTransports,
  transportDescriptor,
  transportDescriptors,
} from './registry';
export type {
  DestinationPrefix,
  HoldingNames,
  JsonSchema,
  TransportDescriptor,
  TransportIniFile,
  TransportSettingDescriptor,
  TransportSettingType,
  TransportSettings,
} from './transport-descriptor';
export { deadLetterQueueOf } from './transport-descriptor';
export { memoryDescriptor } from './memory/memory-descriptor';
export type {
  BrokerConsumer,
  MemoryBrokerOptions,
  MemoryLink,
  QueueStats,
  StoredMessage,
} from './memory/memory-broker';
export { MemoryBroker, MemoryQueue, defaultMemoryBroker } from './memory/memory-broker';
export type { MemoryTransportOptions } from './memory/memory-transport';
export { MemoryTransport } from './memory/memory-transport';

// Service runtime (src/services/): write a service once, run it on any transport.
export type { ServiceDefinition } from './services/service';
export { Service, defineService } from './services/service';
export type {
  HandlerOptions,
  MessageContext,
  MessageHandler,
  ServiceBroadcastSubscribeOptions,
  ServiceContext,
  ServiceSubscribeOptions,
  TimerCallback,
} from './services/service-context';
export type { ServiceRuntimeOptions } from './services/service-runtime';
export type { OutputBudget } from './services/output-budget';
export type { OutputLimit, ZocaloErrorCode } from './errors';
export {
  DEFAULT_MAX_OUTPUT_BYTES_PER_MESSAGE,
  DEFAULT_MAX_OUTPUTS_PER_MESSAGE,
} from './services/output-budget';
export { ServiceRuntime, runService } from './services/service-runtime';
export type { BackoffOptions, RestartOptions } from './services/restart';
export { backoffDelay, runWithRestart } from './services/restart';
export type { Clock, ClockTimer } from './services/clock';
export { systemClock } from './services/clock';
export type { CommandAddressee, CommandVerdict } from './services/shutdown-command';
export { COMMAND_TOPIC, readCommand } from './services/shutdown-command';
export type { FailureOutcome } from './services/service-metrics';
export { ServiceMetrics } from './services/service-metrics';
export { PYTHON_DEFAULT_BUCKETS, PrometheusMiddleware, TransportMetrics } from './services/transport-metrics';
export type { MetricsServer, ProbeChecks } from './services/metrics-server';
export type { LivenessServer, LivenessServerOptions } from './services/liveness-server';
export { LIVENESS_DEFAULTS, startLivenessServer } from './services/liveness-server';
export type { ExtendedStatusOptions, StatusEnvironment } from './services/extended-status';
export {
  KUBERNETES_SERVICE_ACCOUNT,
  extendedStatus,
  extendedStatusFields,
  kubernetesPod,
} from './services/extended-status';
export { startMetricsServer } from './services/metrics-server';
export type { StatusIdentity, StatusReporterOptions } from './services/status-reporter';
export { StatusReporter } from './services/status-reporter';
export { UtilizationStatistics } from './services/utilization';
export { SHUTDOWN_SIGNALS, installSignalHandlers } from './services/signal-handlers';
export { stateText } from './services/service-state';
export { recipeIdOf } from './services/recipe-id';
export { WORKFLOWS_VERSION } from './services/version';
export type { BrokerAddress, BrokerAddressNames } from './broker-addresses';
export { brokerAddresses, formatBrokerAddress, pairBrokerAddresses } from './broker-addresses';
export type { IniSections } from './ini';
export { parseIni, readIniSection } from './ini';
export { pickSettings, settingText } from './transport-settings';
export type { UrlCredentials } from './redaction';
export { REDACTED, isSecretKey, redact, redactCredentials, splitUrlCredentials } from './redaction';
export { NotARegularFileError, readRegularFile, readRegularFileAsync } from './regular-file';

// Plugins of installed packages (package.json "zocalo"): services, wrappers, configuration plugins, transports.
export type { EntryPoint, EntryPointSearch, PluginKind } from './entry-points';
export {
  CONFIGURATION_PLUGINS_GROUP,
  PLUGIN_KINDS,
  PluginLoadError,
  SERVICES_GROUP,
  TRANSPORTS_GROUP,
  WRAPPERS_GROUP,
  activeConditions,
  entryPointGroup,
  findEntryPoint,
  findEntryPoints,
  loadEntryPoint,
  loadEntryPointSync,
  packageEntryFile,
  parseTarget,
} from './entry-points';

// Connection resilience for transports (src/connection/): reconnect once, the same way everywhere.
export type {
  ConnectionErrorKind,
  LivenessOptions,
  ReconnectOptions,
  ReconnectPolicy,
  ReconnectingConnectionOptions,
  SessionHooks,
  WaitingSendsOptions,
} from './connection';
export {
  MAX_WAITING_BYTES,
  MAX_WAITING_SENDS,
  PeriodicCheck,
  RESENT_HEADER,
  RECONNECT_DEFAULTS,
  RECONNECT_JITTER,
  ReconnectEvents,
  ReconnectingConnection,
  WaitingSends,
  reconnectDelay,
  resolveReconnect,
  sendTimeoutError,
  watchLiveness,
  within,
} from './connection';
export { STATUS_AGE_LIMIT, StatusBoard, formatUtilization, watchStatus } from './status-board';
export type { StatusEntry } from './status-board';
