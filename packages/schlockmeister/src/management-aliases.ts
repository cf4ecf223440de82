/**
 * The RabbitMQ management client and its types, which lived here before they became
 * `@zocalo/rabbitmq-management`: the same class and types under their old names, for code that
 * imports them from this package. New code imports them from `@zocalo/rabbitmq-management`.
 */
import * as management from '@zocalo/rabbitmq-management';

/** @deprecated Import `RabbitManagement` from `@zocalo/rabbitmq-management` (the same class). */
export const RabbitManagement = management.RabbitManagement;
/** @deprecated Import `RabbitManagement` from `@zocalo/rabbitmq-management` (the same class). */
export type RabbitManagement = management.RabbitManagement;
/** @deprecated Import it from `@zocalo/rabbitmq-management`. */
export type RabbitManagementOptions = management.RabbitManagementOptions;
/** @deprecated Import it from `@zocalo/rabbitmq-management`. */
export type RabbitQueue = management.RabbitQueue;
/** @deprecated Import it from `@zocalo/rabbitmq-management`. */
export type RabbitExchange = management.RabbitExchange;
/** @deprecated Import it from `@zocalo/rabbitmq-management`. */
export type RabbitBinding = management.RabbitBinding;
/** @deprecated Import it from `@zocalo/rabbitmq-management`. */
export type RabbitPolicy = management.RabbitPolicy;
/** @deprecated Import it from `@zocalo/rabbitmq-management`. */
export type RabbitQueueDeclaration = management.RabbitQueueDeclaration;
/** @deprecated Import it from `@zocalo/rabbitmq-management`. */
export type RabbitExchangeDeclaration = management.RabbitExchangeDeclaration;
/** @deprecated Import it from `@zocalo/rabbitmq-management`. */
export type RabbitBindingDeclaration = management.RabbitBindingDeclaration;
