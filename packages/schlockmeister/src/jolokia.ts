/**
 * ActiveMQ queue sizes through Jolokia (JMX over HTTP), as python-zocalo's `zocalo.util.jmxstats` reads
 * them for `zocalo.dlq_check`: the `jmx` configuration plugin names the endpoint
 * (`http://<host>:<port>/<base_url>`, user and password sent as BASIC authentication), and a `read` of
 * `org.apache.activemq:type=Broker,brokerName=…,destinationType=Queue,destinationName=DLQ.*` with the
 * attribute `QueueSize` answers every dead-letter queue at once.
 */
import { ZocaloError, redactCredentials, splitUrlCredentials } from '@zocalo/workflows';
import { SCHLOCKMEISTER_ERROR_CODES } from './errors';
import type { DlqCount } from './rabbit';

/** Where Jolokia is and who to log in as. */
export interface JolokiaOptions {
  /** The agent's URL, e.g. `http://127.0.0.1:8161/api/jolokia`; user info in it is taken out. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Milliseconds to wait for an answer. Default 10000. */
  readonly timeout?: number;
}

/** A Jolokia request failed; the message says which URL and what to check. */
export class JolokiaError extends ZocaloError {
  static override readonly code: string = SCHLOCKMEISTER_ERROR_CODES.JolokiaError;

  constructor(
    message: string,
    /** The HTTP status, or Jolokia's own `status` of the reply, when there was one. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(redactCredentials(message), options);
  }
}

/** One reply of Jolokia's protocol (the fields used here). */
export interface JolokiaReply {
  readonly status: number;
  readonly value?: unknown;
  readonly error?: string;
  readonly error_type?: string;
}

/** python-zocalo's `jmx` plugin block: `http://{host}:{port}/{base_url}` and a login. */
export interface JmxSettings {
  readonly host?: unknown;
  readonly port?: unknown;
  readonly base_url?: unknown;
  readonly username?: unknown;
  readonly password?: unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/**
 * The Jolokia options of a `jmx` block. A `base_url` that is a whole URL (`http://…`) is used as it is;
 * otherwise it is a path under `http://host:port/` (a leading `/` is dropped: Jetty answers 404 to `//`).
 */
export function jolokiaFromJmx(block: JmxSettings): JolokiaOptions {
  const base = text(block.base_url) ?? 'api/jolokia';
  const url = /^https?:\/\//i.test(base)
    ? base
    : `http://${text(block.host) ?? 'localhost'}:${text(block.port) ?? 8161}/${base.replace(/^\/+/, '')}`;
  return { url, username: text(block.username), password: text(block.password) };
}

/** Jolokia's escaping of one path part of a GET request (`!` escapes `/` and itself), URL-encoded. */
function pathPart(part: string): string {
  return encodeURIComponent(part.replace(/!/g, '!!').replace(/\//g, '!/').replace(/"/g, '!"'))
    .replace(/%2F/gi, '/')
    .replace(/%3A/gi, ':')
    .replace(/%2C/gi, ',')
    .replace(/%3D/gi, '=');
}

/** A Jolokia agent: `read` requests over HTTP GET, as python-zocalo's JMXAPI sends them. */
export class Jolokia {
  /** The agent's URL without user info (safe to show), without a trailing slash. */
  readonly url: string;
  private readonly authorization?: string;
  private readonly username?: string;
  private readonly timeout: number;

  constructor(options: JolokiaOptions) {
    const split = splitUrlCredentials(options.url);
    this.url = split.url.replace(/\/+$/, '');
    try {
      new URL(this.url);
    } catch {
      throw new JolokiaError(
        // Not quoted back: text that is no URL may be anything, a password included.
        'the Jolokia URL is not a URL: give one such as http://127.0.0.1:8161/api/jolokia ' +
          '(the jmx block: host, port, base_url)',
      );
    }
    this.username = options.username ?? split.username;
    const password = options.password ?? split.password;
    if (this.username !== undefined || password !== undefined) {
      const login = `${this.username ?? ''}:${password ?? ''}`;
      this.authorization = `Basic ${Buffer.from(login).toString('base64')}`;
    }
    this.timeout = options.timeout ?? 10_000;
  }

  /**
   * `read` one attribute of an MBean (or of every MBean matching a pattern). Jolokia's own errors
   * (no such MBean: status 404) come back as the reply; HTTP and network failures throw {@link JolokiaError}.
   */
  async read(mbean: string, attribute?: string): Promise<JolokiaReply> {
    const path = `/read/${pathPart(mbean)}${attribute === undefined ? '' : `/${pathPart(attribute)}`}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      // ActiveMQ's jolokia-access.xml (strict-checking) refuses a request without an Origin: send our own.
      origin: new URL(this.url).origin,
    };
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, { headers, signal: AbortSignal.timeout(this.timeout) });
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : error;
      throw new JolokiaError(
        `Jolokia at ${this.url} did not answer (${reason instanceof Error ? reason.message : String(reason)})`,
        undefined,
        { cause: error },
      );
    }
    const body = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new JolokiaError(
        `Jolokia at ${this.url} refused ${this.username === undefined ? 'a request without a login' : `the login of "${this.username}"`} ` +
          `(HTTP ${response.status}): check the username and password`,
        response.status,
      );
    }
    let reply: unknown;
    try {
      reply = JSON.parse(body);
    } catch {
      reply = undefined;
    }
    const status = (reply as { status?: unknown } | undefined)?.status;
    if (typeof reply !== 'object' || reply === null || typeof status !== 'number') {
      throw new JolokiaError(
        `no Jolokia agent at ${this.url} (HTTP ${response.status}, ${body.length === 0 ? 'empty reply' : 'not a Jolokia reply'}): ` +
          'check the URL (ActiveMQ serves it at http://<host>:8161/api/jolokia)',
        response.status,
      );
    }
    const answer = reply as JolokiaReply;
    if (answer.status === 403 || answer.status === 401) {
      throw new JolokiaError(
        `Jolokia at ${this.url} refused to read ${mbean}: ${answer.error ?? `status ${answer.status}`} ` +
          '(its jolokia-access.xml policy)',
        answer.status,
      );
    }
    return answer;
  }
}

/** The broker's name of each queue read, with its QueueSize, from a `read` reply (one MBean or a pattern). */
function queueSizes(reply: JolokiaReply, mbean: string): Map<string, number> {
  const sizes = new Map<string, number>();
  if (reply.status === 404) return sizes; // no such MBean: no such queue
  if (reply.status !== 200) {
    throw new JolokiaError(
      `Jolokia could not read ${mbean}: ${reply.error ?? `status ${reply.status}`}`,
      reply.status,
    );
  }
  const value = reply.value;
  const add = (name: string, size: unknown): void => {
    const destination = /(?:^|[:,])destinationName=([^,]*)/.exec(name)?.[1];
    if (destination !== undefined && typeof size === 'number') {
      sizes.set(destination, (sizes.get(destination) ?? 0) + size);
    }
  };
  if (typeof value === 'number') add(mbean, value);
  else if (typeof value === 'object' && value !== null) {
    for (const [name, attributes] of Object.entries(value as Record<string, unknown>)) {
      add(name, (attributes as { QueueSize?: unknown } | null)?.QueueSize);
    }
  }
  return sizes;
}

export interface JolokiaQueueOptions {
  /**
   * The broker's name in the MBean names. Default `*`, any broker: python-zocalo asks for `localhost`
   * (ActiveMQ's default) and finds nothing on a broker named otherwise.
   */
  readonly brokerName?: string;
}

function queueMBean(destinationName: string, options: JolokiaQueueOptions): string {
  return (
    `org.apache.activemq:type=Broker,brokerName=${options.brokerName ?? '*'},destinationType=Queue,` +
    `destinationName=${destinationName}`
  );
}

/** Messages in one queue (QueueSize), or undefined when the broker has no such queue. */
export async function jolokiaQueueSize(
  jolokia: Jolokia,
  queue: string,
  options: JolokiaQueueOptions = {},
): Promise<number | undefined> {
  const mbean = queueMBean(queue, options);
  return queueSizes(await jolokia.read(mbean, 'QueueSize'), mbean).get(queue);
}

/**
 * Message counts of ActiveMQ's dead-letter queues through Jolokia: every `DLQ.<namespace>*` queue (one
 * pattern read, as python-zocalo's `check_dlq`), or `DLQ.<name>` for each name given (a name may already
 * start with `DLQ.`; one that does not exist counts 0). Sorted by queue name.
 */
export async function jolokiaDlqCheck(
  jolokia: Jolokia,
  queues?: readonly string[],
  options: JolokiaQueueOptions & { readonly namespace?: string } = {},
): Promise<DlqCount[]> {
  const counts = new Map<string, number>();
  if (queues !== undefined && queues.length > 0) {
    for (const queue of queues) {
      const name = queue.startsWith('DLQ.') ? queue : `DLQ.${queue}`;
      counts.set(name, (await jolokiaQueueSize(jolokia, name, options)) ?? 0);
    }
  } else {
    const mbean = queueMBean(`DLQ.${options.namespace ?? ''}*`, options);
    for (const [queue, size] of queueSizes(await jolokia.read(mbean, 'QueueSize'), mbean)) {
      counts.set(queue, size);
    }
  }
  return [...counts]
    .map(([queue, messages]) => ({ queue, messages }))
    .sort((a, b) => a.queue.localeCompare(b.queue));
}
