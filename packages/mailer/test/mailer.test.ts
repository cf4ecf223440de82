/**
 * The Mailer on the memory transport, sending to a real SMTP server on loopback: what the server
 * receives (envelope, headers, text) for recipe steps and plain messages, python-zocalo's defaults, the
 * messages it rejects (dead-lettered, with Python's warning as the reason), and a relay that fails (the
 * message is acknowledged all the same and the failure logged, as Python does).
 */
import { loadConfiguration } from '@zocalo/configuration';
import { Recipe, RecipeWrapper } from '@zocalo/recipes';
import { sleep, uniqueName, until } from '@zocalo/test-brokers';
import {
  MemoryBroker,
  MemoryTransport,
  RecordingLogger,
  ServiceRuntime,
  ServiceState,
} from '@zocalo/workflows';
import { MAILER_QUEUE, Mailer, MailerConfigurationError, createMailer } from '../src';
import type { MailerOptions, SmtpSettings } from '../src';
import type { TestSmtpServer } from './helpers';
import { closedPort, startSilentServer, startSmtpServer } from './helpers';

let smtp: TestSmtpServer;
let broker: MemoryBroker;
let client: MemoryTransport;
let runtime: ServiceRuntime | undefined;
let logger: RecordingLogger;
let queue: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
});

beforeEach(async () => {
  broker = new MemoryBroker();
  logger = new RecordingLogger();
  client = new MemoryTransport({ broker, logger: new RecordingLogger() });
  await client.connect();
  queue = uniqueName('test.mailnotification');
  smtp.mails.length = 0;
});

afterEach(async () => {
  runtime?.stop();
  await runtime?.run().catch(() => undefined);
  runtime = undefined;
  await client.disconnect();
});

function relay(overrides: Partial<SmtpSettings> = {}): SmtpSettings {
  return { host: smtp.host, port: smtp.port, from: 'zocalo@example.com', ...overrides };
}

async function startMailer(options: Partial<MailerOptions> = {}): Promise<void> {
  runtime = new ServiceRuntime(new Mailer({ smtp: relay(), queue, ...options }), {
    transport: new MemoryTransport({ broker, logger }),
    logger,
    commandTopic: false,
  });
  void runtime.run().catch(() => undefined);
  await until(() => runtime?.state === ServiceState.IDLE, 3000, 'the Mailer to start');
}

/** Start a one-step recipe whose step is the Mailer's, with these parameters and this payload. */
async function sendRecipe(parameters: Record<string, unknown>, payload: unknown): Promise<void> {
  const recipe = new Recipe({ 1: { service: 'Mailer', queue, parameters }, start: [[1, payload]] });
  await RecipeWrapper.fromRecipe(recipe, client).start();
}

function logged(text: string): boolean {
  return logger.records.some((record) => record.msg.includes(text));
}

/** The message was settled: none left on the queue, none in hand. */
async function settled(): Promise<void> {
  await until(
    () => broker.stats(queue).depth === 0 && broker.stats(queue).inFlight === 0,
    5000,
    'the message to be settled',
  );
}

describe('Mailer: what the SMTP server receives', () => {
  it("a recipe step, as python-zocalo's test: a selected group and `all`, sorted; subject; content with {pprint_payload}", async () => {
    await startMailer();
    await sendRecipe(
      {
        recipients: { all: 'foo@example.com', select: 'bar', bar: ['bar@example.com'] },
        subject: 'This is a test email',
        content: ['header\n', '{pprint_payload}\n', 'footer'],
      },
      { foo: 'bar', ham: 'spam' },
    );
    await until(() => smtp.mails.length === 1, 5000, 'the mail');
    const [mail] = smtp.mails;
    expect(mail.mailFrom).toBe('zocalo@example.com');
    expect(mail.rcptTo).toEqual(['bar@example.com', 'foo@example.com']);
    expect(mail.headers.get('to')).toBe('bar@example.com, foo@example.com');
    expect(mail.headers.get('from')).toBe('zocalo@example.com');
    expect(mail.subject).toBe('This is a test email');
    expect(mail.text).toBe("header\n{'foo': 'bar', 'ham': 'spam'}\nfooter\n");
    expect(mail.headers.get('content-type')).toMatch(/^text\/plain; charset=utf-8/);
    await settled();
    expect(broker.stats(`DLQ.${queue}`).depth).toBe(0);
    expect(
      logged("Sending mail notification 'This is a test email' to ['bar@example.com', 'foo@example.com']"),
    ).toBe(true);
  });

  it('a plain message: parameters and content in the message, the subject and sender by default, {payload[...]}', async () => {
    await startMailer();
    await client.send(queue, {
      parameters: { recipient: 'someone@example.com' },
      content: 'Visit {payload[visit]} is done.\r\nAll of it: {payload}',
      visit: 'mx12345-1',
    });
    await until(() => smtp.mails.length === 1, 5000, 'the mail');
    const [mail] = smtp.mails;
    expect(mail.rcptTo).toEqual(['someone@example.com']);
    expect(mail.mailFrom).toBe('zocalo@example.com');
    expect(mail.subject).toBe('mail notification via zocalo');
    expect(mail.text).toBe(
      "Visit mx12345-1 is done.\nAll of it: {'parameters': {'recipient': 'someone@example.com'}, " +
        "'content': 'Visit {payload[visit]} is done.\\r\\nAll of it: {payload}', 'visit': 'mx12345-1'}\n",
    );
    await settled();
  });

  it('a list of recipients in its order, a `from` parameter over the relay’s, a list payload joined with line breaks, unknown names kept', async () => {
    await startMailer();
    await sendRecipe(
      {
        recipients: ['zed@example.com', 'Ann Example <ann@example.com>'],
        from: 'Beamline I03 <i03@example.com>',
        subject: 'Résumé ☃',
        content: '{pprint_payload}\n{unknown} stays; {{braces}}',
      },
      ['first line', 'second line'],
    );
    await until(() => smtp.mails.length === 1, 5000, 'the mail');
    const [mail] = smtp.mails;
    expect(mail.mailFrom).toBe('i03@example.com');
    expect(mail.rcptTo).toEqual(['zed@example.com', 'ann@example.com']);
    expect(mail.headers.get('to')).toBe('zed@example.com, Ann Example <ann@example.com>');
    expect(mail.subject).toBe('Résumé ☃');
    expect(mail.text).toBe('first line\nsecond line\n{unknown} stays; {braces}\n');
  });

  it('recipients selected by a group with duplicates in `all`: one mail to each, once', async () => {
    await startMailer();
    await sendRecipe(
      {
        recipients: {
          select: 'mx',
          mx: ['b@example.com', 'a@example.com'],
          all: ['a@example.com', 'c@example.com'],
        },
        content: 'x',
      },
      {},
    );
    await until(() => smtp.mails.length === 1, 5000, 'the mail');
    expect(smtp.mails[0].rcptTo).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
  });
});

describe('Mailer: messages it rejects (dead-lettered, reason logged, no mail)', () => {
  it.each<[string, 'recipe' | 'plain', Record<string, unknown>, string]>([
    ['no recipients', 'recipe', { content: 'x' }, 'No recipients set for message'],
    ['empty recipients', 'recipe', { recipients: [], content: 'x' }, 'No recipients set for message'],
    [
      'a recipients dict without select',
      'recipe',
      { recipients: { all: 'a@example.com' }, content: 'x' },
      "Recipients dictionary must have key 'select' to select relevant group",
    ],
    [
      'a selected group that is empty',
      'recipe',
      { recipients: { select: 'nobody', other: ['a@example.com'] }, content: 'x' },
      'No selected recipients for message',
    ],
    ['no content', 'recipe', { recipients: 'a@example.com' }, 'Message has no content'],
    [
      'a content list holding a number',
      'recipe',
      { recipients: 'a@example.com', content: ['a', 1] },
      'Message content list must hold text only, not 1',
    ],
    [
      'content that is no valid format string',
      'recipe',
      { recipients: 'a@example.com', content: 'an unclosed {brace' },
      'Message content cannot be filled in',
    ],
    [
      'a plain message without content',
      'plain',
      { parameters: { recipients: 'a@example.com' } },
      'Rejected invalid simple message',
    ],
    ['a plain message without parameters', 'plain', { content: 'x' }, 'Rejected invalid simple message'],
  ])('%s', async (_name, kind, body, reason) => {
    await startMailer();
    if (kind === 'recipe') await sendRecipe(body, { some: 'payload' });
    else await client.send(queue, body);
    await until(() => broker.stats(`DLQ.${queue}`).depth === 1, 5000, 'the dead letter');
    await until(
      () => logged(`message rejected and dead-lettered: ${reason}`),
      3000,
      'the reason to be logged',
    );
    await sleep(100);
    expect(smtp.mails).toHaveLength(0);
  });

  it('a plain message that is not an object', async () => {
    await startMailer();
    await client.send(queue, ['not', 'a', 'dict']);
    await until(() => broker.stats(`DLQ.${queue}`).depth === 1, 5000, 'the dead letter');
    await until(() => logged('Rejected invalid simple message'), 3000, 'the reason to be logged');
  });

  it('no `from` anywhere: rejected, and a warning at start', async () => {
    await startMailer({ smtp: relay({ from: undefined }) });
    expect(logged('the smtp block has no "from"')).toBe(true);
    await sendRecipe({ recipients: 'a@example.com', content: 'x' }, {});
    await until(() => broker.stats(`DLQ.${queue}`).depth === 1, 5000, 'the dead letter');
    await until(() => logged('No sender for message'), 3000, 'the reason to be logged');
  });
});

describe('Mailer: a relay that fails (the message acknowledged all the same, the failure logged)', () => {
  it('a recipient the relay refuses', async () => {
    const picky = await startSmtpServer({
      onRcptTo(address, _session, callback) {
        if (address.address.endsWith('@nowhere.example')) {
          const error = Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 });
          return callback(error);
        }
        callback();
      },
    });
    try {
      await startMailer({ smtp: relay({ port: picky.port }) });
      await sendRecipe({ recipients: 'ghost@nowhere.example', content: 'x' }, {});
      await until(() => logged('Message delivery failed with error'), 5000, 'the failure to be logged');
      await settled();
      expect(broker.stats(`DLQ.${queue}`).depth).toBe(0);
      expect(picky.mails).toHaveLength(0);
    } finally {
      await picky.close();
    }
  });

  it('a relay that never answers: a timeout', async () => {
    const silent = await startSilentServer();
    try {
      await startMailer({ smtp: relay({ port: silent.port }), timeout: 0.3 });
      await sendRecipe({ recipients: 'a@example.com', content: 'x' }, {});
      await until(() => logged('Message delivery failed with timeout:'), 5000, 'the timeout to be logged');
      await settled();
      expect(broker.stats(`DLQ.${queue}`).depth).toBe(0);
    } finally {
      await silent.close();
    }
  });

  it('no relay listening', async () => {
    await startMailer({ smtp: relay({ port: await closedPort() }) });
    await sendRecipe({ recipients: 'a@example.com', content: 'x' }, {});
    await until(() => logged('Message delivery failed with error'), 5000, 'the failure to be logged');
    await settled();
    expect(broker.stats(`DLQ.${queue}`).depth).toBe(0);
  });

  it('a subject that is not text (Python fails after its acknowledgement too)', async () => {
    await startMailer();
    await sendRecipe({ recipients: 'a@example.com', subject: 42, content: 'x' }, {});
    await until(() => logged('Message delivery failed with error the subject must be text, not 42'), 5000);
    await settled();
    expect(broker.stats(`DLQ.${queue}`).depth).toBe(0);
    expect(smtp.mails).toHaveLength(0);
  });
});

describe('createMailer: the relay from the site configuration', () => {
  const site = (smtpBlock: string): string =>
    `version: 1\n${smtpBlock}\nembedded:\n  plugin: memory\nenvironments:\n  default: [embedded${smtpBlock ? ', my-smtp' : ''}]\n`;

  it("reads the smtp block's host, port and from (python-zocalo's keys), and listens on mailnotification", () => {
    const configuration = loadConfiguration({
      text: site('my-smtp:\n  plugin: smtp\n  host: localhost\n  port: 8080\n  from: foo@example.com'),
      logger: new RecordingLogger(),
    });
    const mailer = createMailer({ configuration, storage: configuration.storage });
    expect(mailer.smtp).toEqual({ host: 'localhost', port: 8080, from: 'foo@example.com' });
    expect(mailer.queue).toBe(MAILER_QUEUE);
    expect(mailer.name).toBe('Mail Notifications');
    expect(mailer.serviceClass).toBe('Mailer');
    expect(createMailer({ configuration, storage: { 'zocalo.mailer.queue': 'test.mail' } }).queue).toBe(
      'test.mail',
    );
  });

  it('refuses to start without an smtp block, saying what to add', () => {
    const configuration = loadConfiguration({ text: site(''), logger: new RecordingLogger() });
    expect(() => createMailer({ configuration })).toThrow(MailerConfigurationError);
    expect(() => createMailer({ configuration })).toThrow(
      /^There are no SMTP settings configured in your environment: add a block with "plugin: smtp"/,
    );
  });
});
