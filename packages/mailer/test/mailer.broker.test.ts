/**
 * The Mailer as `zocalo service Mailer` makes it (createMailer from a site configuration with an
 * `smtp` block), on memory, ActiveMQ and RabbitMQ, sending to a real SMTP server on loopback: a recipe
 * step's mail arrives as the server sees it and its message is acknowledged (nothing comes back after
 * the Mailer stops); a message it cannot mail goes to the broker's dead-letter queue.
 */
import '@zocalo/transport-amqp';
import '@zocalo/transport-stomp';
import { loadConfiguration } from '@zocalo/configuration';
import { Recipe, RecipeWrapper } from '@zocalo/recipes';
import type { SiteOfTest as Site } from '@zocalo/test-brokers';
import {
  SITES,
  deadLetterQueue,
  removeQueues,
  requireBroker,
  siteYaml,
  sleep,
  uniqueName,
  until,
} from '@zocalo/test-brokers';
import type { MessageBody, Transport } from '@zocalo/workflows';
import { RecordingLogger, ServiceRuntime, ServiceState } from '@zocalo/workflows';
import { createMailer } from '../src';
import type { TestSmtpServer } from './helpers';
import { startSmtpServer } from './helpers';

describe.each(SITES)('Mailer on $label', (site: Site) => {
  let smtp: TestSmtpServer;
  const opened: Transport[] = [];
  const queues: string[] = [];
  let runtime: ServiceRuntime | undefined;
  let logger: RecordingLogger;

  beforeAll(async () => {
    if (site.broker) await requireBroker(site.broker);
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp?.close();
  });
  afterEach(async () => {
    runtime?.stop();
    await runtime?.run().catch(() => undefined);
    runtime = undefined;
    for (const transport of opened.splice(0)) await transport.disconnect().catch(() => undefined);
    await removeQueues(site, queues.splice(0));
    smtp.mails.length = 0;
  });

  /** The site's configuration, with the test relay as its smtp block. */
  function configuration() {
    return loadConfiguration({
      text: siteYaml(site, {
        'mail-relay': `mail-relay:\n  plugin: smtp\n  host: ${smtp.host}\n  port: ${smtp.port}\n  from: zocalo@example.com\n`,
      }),
      logger: new RecordingLogger(),
    });
  }

  async function connect(): Promise<Transport> {
    const transport = await configuration().createTransport({ logger: new RecordingLogger() });
    opened.push(transport);
    await transport.connect();
    return transport;
  }

  async function startMailer(queue: string): Promise<void> {
    const config = configuration();
    logger = new RecordingLogger();
    runtime = new ServiceRuntime(
      createMailer({ configuration: config, storage: { 'zocalo.mailer.queue': queue } }),
      {
        transport: await config.createTransport({ logger }),
        logger,
        commandTopic: false,
      },
    );
    void runtime.run().catch(() => undefined);
    await until(() => runtime?.state === ServiceState.IDLE, 15_000, 'the Mailer to start');
  }

  async function stopMailer(): Promise<void> {
    runtime?.stop();
    await runtime?.run().catch(() => undefined);
    runtime = undefined;
  }

  /** What arrives on `queue` within `ms` (each acknowledged). */
  async function drain(transport: Transport, queue: string, ms: number): Promise<MessageBody[]> {
    const received: MessageBody[] = [];
    const id = await transport.subscribe(
      queue,
      async (header, message) => {
        received.push(message);
        await transport.ack(header);
      },
      { acknowledgement: true },
    );
    await sleep(ms);
    await transport.unsubscribe(id);
    return received;
  }

  it('mails a recipe step (recipients, subject, content, the relay’s from) and acknowledges its message', async () => {
    const queue = uniqueName('test.mailnotification');
    queues.push(queue);
    const client = await connect();
    await startMailer(queue);
    const recipe = new Recipe({
      1: {
        service: 'Mailer',
        queue,
        parameters: {
          recipients: { select: 'i03', i03: ['beamline@example.com'], all: 'staff@example.com' },
          subject: 'Data collection {dcid} processed',
          content: ['Results:\n', '{pprint_payload}\n', 'Spots: {payload[spots]}'],
        },
      },
      start: [[1, { spots: 1234, resolution: 1.8 }]],
    });
    // A real recipe step: the parameters filled in as the Dispatcher fills them, then started.
    await RecipeWrapper.fromRecipe(recipe.applyParameters({ dcid: 527189 }), client).start();
    await until(() => smtp.mails.length === 1, 15_000, 'the mail');
    const [mail] = smtp.mails;
    expect(mail.mailFrom).toBe('zocalo@example.com');
    expect(mail.rcptTo).toEqual(['beamline@example.com', 'staff@example.com']);
    expect(mail.headers.get('to')).toBe('beamline@example.com, staff@example.com');
    expect(mail.subject).toBe('Data collection 527189 processed');
    expect(mail.text).toBe("Results:\n{'resolution': 1.8, 'spots': 1234}\nSpots: 1234\n");

    await stopMailer();
    // An unacknowledged message would come back to the next consumer.
    expect(await drain(client, queue, 1000)).toEqual([]);
    expect(smtp.mails).toHaveLength(1);
  });

  it('dead-letters a message it cannot mail, with the reason logged', async () => {
    const queue = uniqueName('test.mailnotification');
    queues.push(queue);
    const client = await connect();
    const dead: MessageBody[] = [];
    await client.subscribe(deadLetterQueue(site, queue), (_header, message) => void dead.push(message));
    await startMailer(queue);
    await client.send(queue, { parameters: { recipients: 'a@example.com' }, content: '' });
    await until(() => dead.length === 1, 15_000, 'the dead letter');
    expect(dead[0]).toEqual({ parameters: { recipients: 'a@example.com' }, content: '' });
    // Logged once the nack has gone, which may be just after the dead letter arrives.
    await until(
      () => logger.records.some((record) => record.msg.includes('Rejected invalid simple message')),
      5000,
      'the reason to be logged',
    );
    expect(smtp.mails).toHaveLength(0);
  });
});
