/** The codes of this package's errors; the classes live beside the code that throws them. */

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const SCHLOCKMEISTER_ERROR_CODES = Object.freeze({
  DlqFileError: 'ZOCALO_DLQ_FILE',
  JolokiaError: 'ZOCALO_JOLOKIA',
  SchlockmeisterConfigurationError: 'ZOCALO_SCHLOCKMEISTER_CONFIGURATION',
  SchlockmeisterTransportError: 'ZOCALO_SCHLOCKMEISTER_TRANSPORT',
  StatisticsReplyError: 'ZOCALO_STATISTICS_REPLY',
  StatisticsUnavailableError: 'ZOCALO_STATISTICS_UNAVAILABLE',
} as const);

/** A code of {@link SCHLOCKMEISTER_ERROR_CODES}. */
export type SchlockmeisterErrorCode =
  (typeof SCHLOCKMEISTER_ERROR_CODES)[keyof typeof SCHLOCKMEISTER_ERROR_CODES];
