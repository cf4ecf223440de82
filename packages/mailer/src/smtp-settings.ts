/**
 * The mail relay, from the site configuration's `smtp` block (python-zocalo's `smtp` configuration
 * plugin: `host` and `port` required, `from` the default sender):
 *
 * ```yaml
 * mail-relay:
 *   plugin: smtp
 *   host: smtp.example.com
 *   port: 25
 *   from: zocalo@example.com
 * environments:
 *   live: [mail-relay, ...]
 * ```
 */
import { MailerConfigurationError } from './errors';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** The sender of mail whose recipe step names none (`from` parameter). */
  readonly from?: string;
}

const HOW =
  'add a block with "plugin: smtp" and its host, port and from to the site configuration ($ZOCALO_CONFIG), ' +
  'and list it in the environment you start the Mailer with';

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * The settings of an activated `smtp` block (`configuration.plugins.smtp`), checked. Throws
 * {@link MailerConfigurationError} when there is none, as python-zocalo's Mailer refuses to start.
 */
export function smtpSettings(block: unknown): SmtpSettings {
  if (block === undefined || block === null) {
    throw new MailerConfigurationError(`There are no SMTP settings configured in your environment: ${HOW}`);
  }
  if (typeof block !== 'object' || Array.isArray(block)) {
    throw new MailerConfigurationError(`The SMTP settings are not a block of keys: ${HOW}`);
  }
  const { host, port, from } = block as Record<string, unknown>;
  if (typeof host !== 'string' || host.trim() === '') {
    throw new MailerConfigurationError(
      `The smtp block needs a host (the mail relay's name), got ${describe(host)}`,
    );
  }
  const number = typeof port === 'string' && /^\s*\d+\s*$/.test(port) ? Number(port) : port;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) {
    throw new MailerConfigurationError(
      `The smtp block needs a port (a whole number, 1-65535: usually 25), got ${describe(port)}`,
    );
  }
  if (from !== undefined && from !== null && typeof from !== 'string') {
    throw new MailerConfigurationError(
      `The smtp block's from must be an e-mail address, got ${describe(from)}`,
    );
  }
  return { host, port: number, ...(typeof from === 'string' && from !== '' ? { from } : {}) };
}
