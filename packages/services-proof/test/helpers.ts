/**
 * Shared set-up of the proof tests: the three site configurations, transports made from them, a
 * collector, and service child processes.
 */
import '@zocalo/transport-amqp';
import '@zocalo/transport-stomp';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Configuration } from '@zocalo/configuration';
import { loadConfiguration } from '@zocalo/configuration';
import type { BrokerKind } from '@zocalo/test-brokers';
import { rabbitManagement, sleep, uniqueName } from '@zocalo/test-brokers';
import type { MessageBody, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';

export interface Site {
  /** What the test names say. */
  readonly label: 'memory' | 'ActiveMQ' | 'RabbitMQ';
  /** File name under test/fixtures/site, without `.yaml`. */
  readonly file: 'memory' | 'activemq' | 'rabbitmq';
  /** The broker `requireBroker` must find; none for memory. */
  readonly broker?: BrokerKind;
}

export const MEMORY: Site = { label: 'memory', file: 'memory' };
export const ACTIVEMQ: Site = { label: 'ActiveMQ', file: 'activemq', broker: 'stomp' };
export const RABBITMQ: Site = { label: 'RabbitMQ', file: 'rabbitmq', broker: 'amqp' };

/** The seed and the number of inputs per class of the fuzz tests (`fuzz*.test.ts`). */
export const FUZZ_SEED = Number(process.env.ZOCALO_FUZZ_SEED ?? 20261202);
export const FUZZ_RUNS = Number(process.env.ZOCALO_FUZZ_RUNS ?? 120);

export function siteFile(site: Site): string {
  return join(__dirname, 'fixtures', 'site', `${site.file}.yaml`);
}

export function configurationOf(site: Site): Configuration {
  return loadConfiguration({ file: siteFile(site), logger: new RecordingLogger() });
}

/**
 * Unique queue names for one test, removed again from RabbitMQ afterwards (quorum queues with a
 * message left in them would otherwise pile up on a shared broker; ActiveMQ and memory need nothing).
 */
export class QueueNames {
  private readonly made: string[] = [];

  constructor(private readonly site: Site) {}

  /** A new unique name starting with `prefix`. */
  name(prefix: string): string {
    return this.track(uniqueName(prefix));
  }

  /** Remove `name` too. */
  track(name: string): string {
    this.made.push(name);
    return name;
  }

  async remove(): Promise<void> {
    const names = this.made.splice(0);
    if (this.site.broker !== 'amqp') return;
    for (const name of names) await rabbitManagement.deleteQueue(name).catch(() => false);
  }
}

/** A connected transport made from the site configuration only, closed by {@link closeAll}. */
export async function connect(site: Site, opened: Transport[]): Promise<Transport> {
  const transport = await configurationOf(site).createTransport({ logger: new RecordingLogger() });
  opened.push(transport);
  await transport.connect();
  return transport;
}

export async function closeAll(opened: Transport[]): Promise<void> {
  for (const transport of opened.splice(0)) await transport.disconnect().catch(() => undefined);
}

export interface Received {
  readonly header: ReceivedHeaders;
  readonly message: MessageBody;
}

/** Everything that arrives on a queue, acknowledged as it comes (into `received`, if given). */
export async function collect(
  transport: Transport,
  queue: string,
  received: Received[] = [],
): Promise<Received[]> {
  await transport.subscribe(
    queue,
    async (header, message) => {
      received.push({ header, message });
      await transport.ack(header);
    },
    { acknowledgement: true },
  );
  return received;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A service of test/fixtures (default: the relay service) in a child process: `node --import tsx` on
 * the TypeScript sources, its transport chosen by ZOCALO_CONFIG alone.
 */
export class ServiceProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  /** The relay service: `new ServiceProcess(site, [in, out, holdMs])`. */
  constructor(site: Site, args: readonly string[], fixture = 'relay-service.ts') {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@zocalo/source', join(__dirname, 'fixtures', fixture), ...args],
      {
        env: { ...process.env, ZOCALO_CONFIG: siteFile(site), ZOCALO_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let partial = '';
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for a line of its output matching `pattern`; fails with its output if it exits first. */
  async line(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (!this.running || Date.now() > deadline) {
        throw new Error(
          `service process ${this.pid} ${this.running ? `printed no line matching ${pattern} in ${timeoutMs} ms` : 'exited'}` +
            `\nstdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr.slice(-4000)}`,
        );
      }
      await sleep(20);
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Kill it if it still runs (test clean-up). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
