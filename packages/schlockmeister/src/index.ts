/**
 * @zocalo/schlockmeister: finds poison messages (delivered more than N times) on ActiveMQ and quarantines
 * them in `DLQ.<queue>` with their headers logged; and the library side of the dead-letter commands
 * (`dlqPurge`, `dlqReinject`) that the `zocalo` command line wires up.
 *
 * Start reading at `schlockmeister.ts`, then `dlq.ts` and `dlq-file.ts` (the JSON file format).
 */
export { Schlockmeister } from './schlockmeister';
export type { QuarantinedMessage, SchlockmeisterOptions } from './schlockmeister';
export { CONSUMER_ADVISORY_TOPIC, advisoryQueue, isQuarantineSelector, parseAdvisory } from './advisory';
export type { AdvisoryEvent } from './advisory';
export { DEFAULT_IGNORE, matchesAny } from './patterns';
export { DLQ_REINJECTED_HEADER, dlqBrokerOf, dlqPurge, dlqReinject, reinjectHeaders } from './dlq';
export type {
  DlqPurgeOptions,
  DlqPurgeResult,
  DlqReinjectOptions,
  ReinjectOutcome,
  ReinjectStatus,
} from './dlq';
export {
  DLQ_FILE_VERSION,
  DlqFileError,
  decodeBody,
  decodeDlqBody,
  dlqFileFor,
  encodeBody,
  encodeDlqBody,
  exportedStamp,
  originalQueueOf,
  parseDlqFile,
  rawBody,
  xDeathEntries,
} from './dlq-file';
export type { DlqFile, SavedHeaderValue } from './dlq-file';
export {
  pythonDeathTime,
  pythonDlqFile,
  pythonFileId,
  pythonLocalTime,
  pythonMessage,
  readPythonDlqFile,
} from './python-dlq-file';
export type { DlqBroker, PythonDlqContent, PythonDlqFile } from './python-dlq-file';
// Python's json moved to @zocalo/recipes (JSONLines writes it too); the names stay here, deprecated.
export {
  PyFloat,
  PyJsonError,
  fromPlain,
  pyDumps,
  /** @deprecated `pyJsonFloat` of @zocalo/recipes. */
  pyJsonFloat as pyFloatRepr,
  pyLoads,
  pyString,
  toPlain,
} from '@zocalo/recipes';
export type { PyDict, PyDumpsOptions, PyValue } from '@zocalo/recipes';
export { effectivePolicy, isProtected, policyName, rabbitDlqCheck, rabbitProtect } from './rabbit';
export type { DlqCount, ProtectionReport, ProtectionStatus, RabbitProtectOptions } from './rabbit';
// The management client moved to @zocalo/rabbitmq-management; its old names stay here, deprecated.
export { RabbitManagement } from './management-aliases';
export type {
  RabbitBinding,
  RabbitBindingDeclaration,
  RabbitExchange,
  RabbitExchangeDeclaration,
  RabbitManagementOptions,
  RabbitPolicy,
  RabbitQueue,
  RabbitQueueDeclaration,
} from './management-aliases';
export { RabbitDlqWatcher, deathHistory } from './rabbit-watch';
export type { DeathRecord, QuarantineArrival, RabbitDlqWatcherOptions } from './rabbit-watch';
export { queueDrain } from './drain';
export type { DrainDestination, DrainedMessage, QueueDrainOptions, QueueDrainResult } from './drain';
export { countByHolding } from './count';
export type { CountByHoldingOptions, QueueCount } from './count';
export { SchlockmeisterConfigurationError, schlockmeisterSettings } from './settings';
export type { SchlockmeisterSettings } from './settings';
export { SchlockmeisterTransportError, schlockmeisterService } from './service';
export type { SchlockmeisterErrorCode } from './errors';
export { SCHLOCKMEISTER_ERROR_CODES } from './errors';
export type { SchlockmeisterServiceOptions } from './service';
export {
  STORAGE_PREFIX,
  createSchlockmeister,
  managementFromSite,
  storageBlock,
} from './create-schlockmeister';
export type { SchlockmeisterFactoryContext } from './create-schlockmeister';
export {
  STATISTICS_PREFIX,
  StatisticsReplyError,
  StatisticsUnavailableError,
  activemqDlqCheck,
  activemqStatistics,
  parseStatistics,
} from './statistics';
export type { DestinationStatistics, StatisticsOptions } from './statistics';
export { Jolokia, JolokiaError, jolokiaDlqCheck, jolokiaFromJmx, jolokiaQueueSize } from './jolokia';
export type { JmxSettings, JolokiaOptions, JolokiaQueueOptions, JolokiaReply } from './jolokia';
