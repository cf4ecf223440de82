/** The frames of wire-format.md, "STOMP" (no broker needed). */
import type { Publication, SubscriptionRecord } from '@zocalo/workflows';
import {
  ackHeaders,
  destinationOf,
  receivedHeaders,
  sendHeaders,
  stompReceivedHeaders,
  subscribeHeaders,
} from '../src';

function publication(extra: Partial<Publication> = {}): Publication {
  return {
    kind: 'queue',
    destination: 'processing_recipe',
    body: '{"a":"ü"}',
    headers: undefined,
    delay: undefined,
    expiration: undefined,
    persistent: true,
    exchange: undefined,
    transaction: undefined,
    ...extra,
  };
}

function record(extra: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  return {
    id: 7,
    kind: 'queue',
    destination: 'transient.x',
    callback: () => undefined,
    acknowledgement: false,
    mangle: true,
    rawBytes: false,
    prefetch: undefined,
    priority: undefined,
    selector: undefined,
    exclusive: false,
    retroactive: false,
    broker: undefined,
    busy: false,
    backlog: [],
    outstanding: new Map(),
    ...extra,
  };
}

describe('STOMP frames', () => {
  it('puts the prefix plus "." in front of queue and topic names', () => {
    expect(destinationOf('queue', '', 'q')).toBe('/queue/q');
    expect(destinationOf('temporary', 'zoc', 'transient.q')).toBe('/queue/zoc.transient.q');
    // A prefix given with its dot gets no second one (python-workflows adds it only when missing).
    expect(destinationOf('topic', 'zoc.', 'q')).toBe('/topic/zoc.q');
    expect(destinationOf('topic', 'zoc', 'transient.status')).toBe('/topic/zoc.transient.status');
  });

  it('sends persistent messages with a byte content-length', () => {
    expect(sendHeaders(publication(), '')).toEqual({
      destination: '/queue/processing_recipe',
      persistent: 'true',
      'content-length': '10',
    });
    expect(sendHeaders(publication({ persistent: false }), '').persistent).toBe('false');
    expect(sendHeaders(publication({ kind: 'topic', persistent: undefined }), 'p')).toEqual({
      destination: '/topic/p.processing_recipe',
      'content-length': '10',
    });
  });

  it('turns delay into AMQ_SCHEDULED_DELAY (ms) and expiration into an absolute expires (epoch ms)', () => {
    const headers = sendHeaders(publication({ delay: 1.5, expiration: 0.25 }), '', 1_700_000_000_000);
    expect(headers.AMQ_SCHEDULED_DELAY).toBe('1500');
    expect(headers.expires).toBe('1700000000250');
  });

  it('sends application headers as text, keeps an explicit persistent, and never lets them replace frame headers', () => {
    const headers = sendHeaders(
      publication({
        headers: {
          'workflows-recipe': true,
          n: 3,
          persistent: 'false',
          destination: '/queue/elsewhere',
          receipt: 'x',
          transaction: 't',
          'content-length': '1',
        },
      }),
      '',
    );
    expect(headers).toEqual({
      'workflows-recipe': 'true',
      n: '3',
      persistent: 'false',
      destination: '/queue/processing_recipe',
      'content-length': '10',
    });
  });

  it('subscribes with the activemq.* headers and client-individual acknowledgement', () => {
    // Without acknowledgement too (acked as handed to the callback), with a bounding prefetch.
    expect(subscribeHeaders(record(), '', undefined)).toEqual({
      destination: '/queue/transient.x',
      id: '7',
      ack: 'client-individual',
      'activemq.prefetchSize': '100',
    });
    expect(subscribeHeaders(record(), '', 7)['activemq.prefetchSize']).toBe('7');
    expect(
      subscribeHeaders(
        record({
          acknowledgement: true,
          exclusive: true,
          priority: 5,
          selector: 'JMSXDeliveryCount>5',
          prefetch: 10,
        }),
        'p',
        100,
      ),
    ).toEqual({
      destination: '/queue/p.transient.x',
      id: '7',
      ack: 'client-individual',
      'activemq.exclusive': 'true',
      'activemq.priority': '5',
      selector: 'JMSXDeliveryCount>5',
      'activemq.prefetchSize': '10',
    });
    expect(subscribeHeaders(record({ kind: 'topic', retroactive: true }), '', 100)).toEqual({
      destination: '/topic/transient.x',
      id: '7',
      ack: 'client-individual',
      'activemq.retroactive': 'true',
      'activemq.prefetchSize': '100',
    });
  });

  it('hands subscribers the broker’s headers as text, with our subscription id and a boolean redelivered', () => {
    const header = stompReceivedHeaders(
      {
        destination: '/queue/q',
        'message-id': 'ID:x-1',
        subscription: '7',
        redelivered: 'true',
        'content-length': 10,
        'workflows-recipe': 'True',
      },
      7,
    );
    expect(header).toEqual({
      destination: '/queue/q',
      'message-id': 'ID:x-1',
      subscription: 7,
      redelivered: true,
      'content-length': '10',
      'workflows-recipe': 'True',
    });
    expect(stompReceivedHeaders({ 'message-id': 'm' }, 1).redelivered).toBe(false);
    // The old name stays as a deprecated alias.
    expect(receivedHeaders).toBe(stompReceivedHeaders);
  });

  it('names the delivery in ACK/NACK by STOMP version', () => {
    expect(ackHeaders('1.2', 'ack-1', 'ID:m', '7', undefined)).toEqual({ id: 'ack-1' });
    expect(ackHeaders('1.1', 'ack-1', 'ID:m', '7', 'tx')).toEqual({
      'message-id': 'ID:m',
      subscription: '7',
      transaction: 'tx',
    });
  });
});
