/**
 * @zocalo/mailer: the Mailer service, python-zocalo's `Mailer` ("Mail Notifications"), which sends an
 * e-mail for each message on `mailnotification` through the site's SMTP relay.
 *
 * - `mailer.ts`: the {@link Mailer} service and its options.
 * - `notification.ts`: {@link mailNotification}, what Python's Mailer makes of a message (recipients,
 *   sender, subject, content with `{payload}` and `{pprint_payload}`) or why it rejects it.
 * - `pformat.ts`: {@link pformat}, Python's `pprint.pformat` of JSON data.
 * - `smtp-settings.ts`: {@link smtpSettings}, the relay from the `smtp` configuration block.
 * - `create-mailer.ts`: {@link createMailer}, the Mailer from site configuration, as
 *   `zocalo service Mailer` starts it.
 * - `errors.ts`: {@link MailerConfigurationError}.
 */
export type { MailerOptions } from './mailer';
export { MAILER_QUEUE, Mailer, SMTP_TIMEOUT } from './mailer';
export type { MailDecision, MailNotification, NotificationInput } from './notification';
export { DEFAULT_SUBJECT, mailNotification, mailText, pythonTruthy } from './notification';
export type { SmtpSettings } from './smtp-settings';
export { smtpSettings } from './smtp-settings';
export type { MailerFactoryContext } from './create-mailer';
export { MAILER_STORAGE_KEYS, createMailer } from './create-mailer';
export type { MailerErrorCode } from './errors';
export { MAILER_ERROR_CODES, MailerConfigurationError } from './errors';
