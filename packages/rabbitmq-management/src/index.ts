/**
 * @zocalo/rabbitmq-management: a client for RabbitMQ's management HTTP API — python-zocalo's
 * `zocalo.util.rabbitmq.RabbitMQAPI` for TypeScript — used by `zocalo rabbitmq configure`, the
 * dead-letter commands and Schlockmeister.
 *
 * Start reading at `management.ts` (the client), then `types.ts` (what the API sends and takes),
 * `password.ts` (RabbitMQ's password hashes, python-zocalo's `hash_password`) and `errors.ts`.
 */
export { RabbitManagement } from './management';
export type { HealthCheckOptions, HealthChecks, RabbitManagementOptions } from './management';
export type {
  ExchangeTypeInfo,
  HealthCheckResult,
  RabbitBinding,
  RabbitBindingDeclaration,
  RabbitConnection,
  RabbitExchange,
  RabbitExchangeDeclaration,
  RabbitNode,
  RabbitOverview,
  RabbitPermission,
  RabbitPolicy,
  RabbitQueue,
  RabbitQueueDeclaration,
  RabbitUser,
  RabbitUserDeclaration,
  RabbitVhost,
  RabbitVhostDeclaration,
  RabbitWhoami,
} from './types';
export { SHA256, hashPassword, passwordMatches } from './password';
export type { HashingAlgorithm } from './password';
export {
  RABBITMQ_MANAGEMENT_ERROR_CODES,
  RabbitManagementError,
  RabbitManagementUnreachableError,
} from './errors';
export type { RabbitManagementErrorCode } from './errors';
