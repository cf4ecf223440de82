/**
 * The Mailer as the `zocalo service Mailer` command starts it: the relay from the site configuration's
 * `smtp` block, as python-zocalo's Mailer reads `config.smtp`. This package declares it in its
 * package.json, as python-zocalo declares services as entry points:
 *
 * ```json
 * "zocalo": { "workflows.services": { "Mailer": "createMailer" } }
 * ```
 */
import type { Logger } from '@zocalo/workflows';
import { Mailer } from './mailer';
import { smtpSettings } from './smtp-settings';

/** Storage keys the Mailer reads (ours: python-zocalo's Mailer has none). */
export const MAILER_STORAGE_KEYS = Object.freeze({
  /** The queue to listen on instead of `mailnotification` (for test namespaces). */
  queue: 'zocalo.mailer.queue',
});

/** What the command line hands a service factory (only what the Mailer uses is listed). */
export interface MailerFactoryContext {
  /** The site configuration's `storage` (with any command-line overrides). */
  readonly storage?: Readonly<Record<string, unknown>>;
  /** The site configuration: its activated plugins' values, `plugins.smtp` among them. */
  readonly configuration?: { readonly plugins: Readonly<Record<string, unknown>> };
  readonly logger?: Logger;
}

/**
 * Make the Mailer from the site configuration. Throws MailerConfigurationError when the active
 * environment has no `smtp` block (python-zocalo's Mailer refuses to start then too).
 */
export function createMailer(context: MailerFactoryContext = {}): Mailer {
  const queue = context.storage?.[MAILER_STORAGE_KEYS.queue];
  return new Mailer({
    smtp: smtpSettings(context.configuration?.plugins.smtp),
    queue: typeof queue === 'string' && queue !== '' ? queue : undefined,
  });
}
