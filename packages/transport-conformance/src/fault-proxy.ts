/**
 * A TCP proxy on loopback that injects the faults a real network has: connections closed by the
 * broker side, links that go silent (no FIN, no data), connections refused. A transport under test
 * connects to the proxy instead of its broker; the connection-loss group drives the faults.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect as netConnect, createServer } from 'node:net';
import { ZocaloError } from '@zocalo/workflows';

/** A host and port. */
export interface NetAddress {
  readonly host: string;
  readonly port: number;
}

/** What {@link FaultProxy.stats} reports. */
export interface FaultProxyStats {
  /** Client connections open now (forwarded or held by a stall). */
  readonly open: number;
  /** Client connections accepted and forwarded (or held) since the start. */
  readonly accepted: number;
  /** Client connections refused (accepted and reset at once) since the start. */
  readonly refused: number;
  /** Connections closed by {@link FaultProxy.dropAll} since the start. */
  readonly dropped: number;
  readonly stalled: boolean;
  readonly refusing: boolean;
}

/** The proxy was used after close(), or could not listen. */
export class FaultProxyError extends ZocaloError {}

/** After a FIN, how long a peer may take to close its side before the socket is destroyed. */
const LINGER_MS = 1000;

/** One client connection and its connection to the target. */
class Link {
  private targetConnected = false;
  closed = false;

  constructor(
    readonly client: Socket,
    readonly target: Socket,
    private readonly proxy: FaultProxy,
  ) {
    client.pause();
    for (const [from, to] of [
      [client, target],
      [target, client],
    ] as const) {
      from.on('data', (chunk: Buffer) => {
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => this.flow());
        }
      });
      from.on('end', () => to.end());
      from.on('error', () => undefined);
      from.on('close', () => {
        to.end();
        this.proxy.linger(to);
        if (client.destroyed && target.destroyed) this.finished();
      });
    }
    target.once('connect', () => {
      this.targetConnected = true;
      this.flow();
    });
  }

  /** Forward in both directions, unless the proxy stalls every link. */
  flow(): void {
    if (this.proxy.stats().stalled || !this.targetConnected) return;
    this.client.resume();
    this.target.resume();
  }

  halt(): void {
    this.client.pause();
    this.target.pause();
  }

  /** FIN to the client, as a broker closing the connection; the target connection is reset. */
  drop(): void {
    this.client.end();
    this.target.destroy();
    this.proxy.linger(this.client);
  }

  destroy(): void {
    this.client.destroy();
    this.target.destroy();
  }

  private finished(): void {
    if (this.closed) return;
    this.closed = true;
    this.proxy.forget(this);
  }
}

/**
 * A fault-injecting TCP proxy: listens on 127.0.0.1 (an ephemeral port), forwards every connection to
 * `target`, and on command drops, stalls or refuses connections.
 *
 * ```ts
 * const proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5672 });
 * const transport = new MyTransport({ host: proxy.address.host, port: proxy.address.port });
 * proxy.stall();            // silence: no FIN, no data
 * proxy.dropAll();          // FIN to every client, as a broker closing them
 * proxy.refuse(2000);       // reset new connections for 2 s
 * await proxy.close();      // everything closed, no timers left
 * ```
 */
export class FaultProxy {
  private readonly links = new Set<Link>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stalled = false;
  private refusing = false;
  private refuseTimer: NodeJS.Timeout | undefined;
  private accepted = 0;
  private refused = 0;
  private dropped = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly target: NetAddress,
    readonly address: NetAddress,
  ) {
    server.on('connection', (client) => this.admit(client));
  }

  /** Listen on 127.0.0.1 at an ephemeral port, forwarding to `target`. */
  static async start(target: NetAddress): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(new FaultProxyError(`fault proxy: cannot listen on 127.0.0.1: ${error.message}`)),
      );
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new FaultProxy(server, target, { host: '127.0.0.1', port });
  }

  stats(): FaultProxyStats {
    return {
      open: this.links.size,
      accepted: this.accepted,
      refused: this.refused,
      dropped: this.dropped,
      stalled: this.stalled,
      refusing: this.refusing,
    };
  }

  /** Close every connection from the broker side: a FIN to each client. New ones are still accepted. */
  dropAll(): void {
    for (const link of this.links) {
      link.drop();
      this.dropped++;
    }
  }

  /**
   * Stop forwarding in both directions, on every connection and on new ones, sending no FIN and no
   * data: sockets stay open, as on a link that went silent. {@link resume} or {@link dropAll} ends it.
   */
  stall(): void {
    this.stalled = true;
    for (const link of this.links) link.halt();
  }

  /** Forward again after {@link stall}; what waited in the socket buffers goes through. */
  resume(): void {
    this.stalled = false;
    for (const link of this.links) link.flow();
  }

  /**
   * Reset every new connection at once (accepted, then destroyed with RST), for `ms` milliseconds or
   * until {@link accept}. Open connections are left as they are: drop them with {@link dropAll}.
   */
  refuse(ms?: number): void {
    this.refusing = true;
    if (this.refuseTimer) this.clearTimer(this.refuseTimer);
    this.refuseTimer = ms === undefined ? undefined : this.after(ms, () => this.accept());
  }

  /** Take new connections again after {@link refuse}. */
  accept(): void {
    this.refusing = false;
    if (this.refuseTimer) this.clearTimer(this.refuseTimer);
    this.refuseTimer = undefined;
  }

  private admit(client: Socket): void {
    client.on('error', () => undefined);
    if (this.refusing || this.closing) {
      this.refused++;
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const target = netConnect({ host: this.target.host, port: this.target.port });
    target.pause();
    // A stalled proxy holds new connections silent too: the target answers, nothing passes.
    this.links.add(new Link(client, target, this));
  }

  /** Stop listening, destroy every connection and clear every timer; resolves once all are closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.refuseTimer = undefined;
      const sockets = [...this.links].flatMap((link) => [link.client, link.target]);
      for (const link of this.links) link.destroy();
      this.links.clear();
      const closed = sockets.map(
        (socket) =>
          new Promise<void>((done) => (socket.closed ? done() : socket.once('close', () => done()))),
      );
      const listening = new Promise<void>((done) => this.server.close(() => done()));
      void Promise.all([...closed, listening]).then(() => resolve());
    });
    return this.closing;
  }

  /** @internal destroy a socket whose peer does not close its side after our FIN */
  linger(socket: Socket): void {
    if (socket.destroyed) return;
    const timer = this.after(LINGER_MS, () => socket.destroy());
    socket.once('close', () => this.clearTimer(timer));
  }

  /** @internal a link whose two sockets are closed */
  forget(link: Link): void {
    this.links.delete(link);
  }

  private after(ms: number, action: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clearTimer(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }
}
