/** Shared set-up of the broker tests: the test broker's address, transports on it, and bare clients. */
import type { Client } from 'stompit';
import stompitConnect from 'stompit/lib/connect.js';
import { RecordingLogger } from '@zocalo/workflows';
import { BROKERS } from '@zocalo/test-brokers';
import type { StompTransportOptions } from '../src';
import { StompTransport } from '../src';

/** The test broker's STOMP port; ZOCALO_STOMP_PORT points the tests at another ActiveMQ on this host. */
export const STOMP_PORT = Number(process.env.ZOCALO_STOMP_PORT ?? BROKERS.stomp.port);

/** Options reaching the test broker (scripts/brokers.sh). */
export function brokerOptions(extra: StompTransportOptions = {}): StompTransportOptions {
  return {
    host: BROKERS.stomp.host,
    port: STOMP_PORT,
    username: BROKERS.stomp.user,
    password: BROKERS.stomp.pass,
    logger: new RecordingLogger(),
    ...extra,
  };
}

/** A fresh, unconnected transport on the test broker. */
export function stompTransport(extra: StompTransportOptions = {}): StompTransport {
  return new StompTransport(brokerOptions(extra));
}

/** A bare stompit client on the test broker: to look at frames as they are, or send as Python does. */
export function rawClient(): Promise<Client> {
  return new Promise((resolve, reject) => {
    stompitConnect(
      {
        host: BROKERS.stomp.host,
        port: STOMP_PORT,
        connectHeaders: {
          host: '/',
          login: BROKERS.stomp.user,
          passcode: BROKERS.stomp.pass,
          'heart-beat': '0,0',
        },
      },
      (error: Error | null, client: Client) => (error ? reject(error) : resolve(client)),
    );
  });
}

export interface RawMessage {
  readonly headers: Record<string, string | number>;
  readonly body: string;
}

let rawSubscriptionId = 1000;

/** Subscribe a bare client (auto ack) and collect what arrives; resolves once the broker has the SUBSCRIBE. */
export async function rawSubscribe(client: Client, destination: string): Promise<RawMessage[]> {
  const messages: RawMessage[] = [];
  const id = rawSubscriptionId++;
  client.setImplicitSubscription(id, 'auto', (error, message) => {
    if (error) return;
    const headers = (message as unknown as { headers: Record<string, string | number> }).headers;
    message.readString('utf-8', (_readError, body) => messages.push({ headers, body: body ?? '' }));
  });
  await new Promise<void>((resolve) => {
    client.sendFrame('SUBSCRIBE', { destination, id, ack: 'auto' }, { onReceipt: resolve } as never).end();
  });
  return messages;
}

/** Send a frame from a bare client and wait for the broker's receipt. */
export function rawSend(client: Client, headers: Record<string, string>, body: string): Promise<void> {
  return new Promise((resolve) => {
    client.send(headers, { onReceipt: resolve } as never).end(body);
  });
}

/** Log out a bare client. */
export function rawClose(client: Client): Promise<void> {
  return new Promise((resolve) => client.disconnect(() => resolve()));
}
