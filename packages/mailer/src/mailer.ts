/**
 * The Mailer service (python-zocalo's `zocalo.service.mailer.Mailer`, "Mail Notifications"): sends an
 * e-mail for each message on `mailnotification`, recipe messages and plain ones, through the SMTP relay
 * of the site configuration's `smtp` block. What goes into the mail is `notification.ts`.
 *
 * As in Python, a message whose mail cannot be made (no recipients, no content, ...) is rejected
 * (dead-lettered) with the reason; one whose mail can be made is acknowledged *before* the mail is
 * sent, so that a relay that fails or a crash after delivery never has the message delivered again and
 * again: the failure is logged (error), and that mail is lost. The SMTP session is Python's `smtplib`'s:
 * plain SMTP without STARTTLS or login, a new connection for each mail, 60 s timeout.
 */
import { createTransport } from 'nodemailer';
import type { MixedMessageHandler } from '@zocalo/recipes';
import { pyRepr, recipeHandler } from '@zocalo/recipes';
import type { Logger, ServiceContext } from '@zocalo/workflows';
import { Service } from '@zocalo/workflows';
import type { MailNotification } from './notification';
import { mailNotification } from './notification';
import type { SmtpSettings } from './smtp-settings';

/** python-zocalo's queue of mail notifications. */
export const MAILER_QUEUE = 'mailnotification';

/** Seconds an SMTP connection, greeting or reply may take: Python's `smtplib.SMTP(timeout=60)`. */
export const SMTP_TIMEOUT = 60;

export interface MailerOptions {
  /** The mail relay: the site configuration's `smtp` block (see `smtpSettings`). */
  readonly smtp: SmtpSettings;
  /** The queue to listen on. Default `mailnotification`. */
  readonly queue?: string;
  /** Seconds before an SMTP connection or reply times out. Default 60. */
  readonly timeout?: number;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether nodemailer gave up waiting (connection, greeting or reply): Python's `TimeoutError`. */
function isTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ETIMEDOUT';
}

export class Mailer extends Service {
  /** python-zocalo's human-readable name, as status broadcasts show it. */
  readonly name = 'Mail Notifications';
  readonly queue: string;
  readonly smtp: SmtpSettings;
  private readonly timeoutMs: number;

  constructor(options: MailerOptions) {
    super();
    this.smtp = options.smtp;
    this.queue = options.queue ?? MAILER_QUEUE;
    this.timeoutMs = (options.timeout ?? SMTP_TIMEOUT) * 1000;
  }

  /** A fixed class name, so that shutdown commands find it whatever a bundler does to the code. */
  override get serviceClass(): string {
    return 'Mailer';
  }

  override async initializing(ctx: ServiceContext): Promise<void> {
    ctx.logger.debug(
      { queue: this.queue, host: this.smtp.host, port: this.smtp.port },
      'Mail notifications starting',
    );
    if (this.smtp.from === undefined) {
      ctx.logger.warn(
        {},
        'the smtp block has no "from": messages whose recipe step gives no "from" parameter will be rejected',
      );
    }
    const handler: MixedMessageHandler = async (rw, msg) => {
      const message = rw ? rw.payload : msg.message;
      msg.logger.info({}, `message=${describeMessage(message)}`);
      const decision = mailNotification({
        recipe: rw !== undefined,
        stepParameters: rw?.recipeStep?.parameters,
        message,
        defaultFrom: this.smtp.from,
      });
      if (decision.kind === 'reject') return msg.reject(decision.reason);
      const summary = decision.kind === 'send' ? decision.mail.summary : decision.summary;
      msg.logger.info({}, `Sending mail notification ${summary}`);
      // Acknowledged before sending: a mail is never sent twice for one message (Python's choice).
      await msg.ack();
      if (decision.kind === 'undeliverable') {
        msg.logger.error({}, `Message delivery failed with error ${decision.reason}`);
        return;
      }
      await this.deliver(decision.mail, msg.logger);
    };
    // No transaction: the acknowledgement must take effect before the mail goes, not when the handler ends.
    await ctx.subscribe(this.queue, recipeHandler(handler, { allowNonRecipe: true }), { transaction: false });
  }

  /** Send one mail; a failure is logged, not thrown (the message is acknowledged already). */
  async deliver(mail: MailNotification, logger: Logger): Promise<boolean> {
    const relay = createTransport({
      host: this.smtp.host,
      port: this.smtp.port,
      secure: false,
      ignoreTLS: true,
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
    });
    try {
      await relay.sendMail({ from: mail.from, to: [...mail.to], subject: mail.subject, text: mail.text });
    } catch (error) {
      logger.error(
        { err: error },
        isTimeout(error)
          ? `Message delivery failed with timeout: ${describe(error)}`
          : `Message delivery failed with error ${describe(error)}`,
      );
      return false;
    } finally {
      relay.close();
    }
    logger.debug({}, 'Message sent successfully');
    return true;
  }
}

/** The message as Python's `f"{message=}"` shows it, cut short: a log line is no place for megabytes. */
function describeMessage(message: unknown): string {
  const text = pyRepr(message);
  return text.length > 2000 ? `${text.slice(0, 2000)}... (${text.length} characters)` : text;
}
