/** Connecting: clear errors for an unreachable broker, a refused login, an unknown vhost; host lists. */
import { requireBroker } from '@zocalo/test-brokers';
import { ConnectionError, RecordingLogger } from '@zocalo/workflows';
import { AmqpTransport } from '../src';

jest.setTimeout(30_000);

beforeAll(() => requireBroker('amqp'));

async function connectError(transport: AmqpTransport): Promise<Error> {
  const error = await transport.connect().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) {
    await transport.disconnect();
    throw new Error('connect() should have failed');
  }
  expect(transport.isConnected()).toBe(false);
  return error;
}

describe('connecting', () => {
  it('says when the broker cannot be reached, naming host and port', async () => {
    const error = await connectError(
      new AmqpTransport({ host: '127.0.0.1', port: 1, logger: new RecordingLogger() }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/cannot reach RabbitMQ at amqp:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  });

  it('says when the login is refused, naming the user', async () => {
    const error = await connectError(
      new AmqpTransport({
        host: '127.0.0.1',
        username: 'guest',
        password: 'wrong',
        logger: new RecordingLogger(),
      }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/refused the login of user "guest"/);
  });

  it('says when the vhost is not there', async () => {
    const error = await connectError(
      new AmqpTransport({ host: '127.0.0.1', vhost: 'no-such-vhost', logger: new RecordingLogger() }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/vhost "no-such-vhost"/);
  });

  it('tries every host of a list until one answers', async () => {
    const transport = new AmqpTransport({
      host: '127.0.0.1,127.0.0.1',
      port: '1,5672',
      logger: new RecordingLogger(),
    });
    await transport.connect();
    expect(transport.isConnected()).toBe(true);
    await transport.disconnect();
  });
});
