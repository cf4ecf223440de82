/**
 * `RabbitManagement`: a small client for RabbitMQ's management HTTP API, with the queries of
 * python-zocalo's `RabbitMQAPI` (`zocalo.util.rabbitmq`). Every path part is URL-encoded; a refused
 * request is a {@link RabbitManagementError}, no answer at all a {@link RabbitManagementUnreachableError}.
 *
 * Most calls name their vhost (`queuesIn(vhost)`); the few without one (`queues()`, `policies()`,
 * `path()`) use the vhost the client was made for. `allQueues()` and the like list every vhost, as
 * python-zocalo's calls do without a vhost. A getter of one object (`queue(vhost, name)`) resolves
 * with undefined when the broker has none.
 */
import { splitUrlCredentials } from '@zocalo/workflows';
import { RabbitManagementError, RabbitManagementUnreachableError } from './errors';
import type {
  ExchangeTypeInfo,
  HealthCheckResult,
  RabbitBinding,
  RabbitBindingDeclaration,
  RabbitConnection,
  RabbitExchange,
  RabbitExchangeDeclaration,
  RabbitNode,
  RabbitOverview,
  RabbitPermission,
  RabbitPolicy,
  RabbitQueue,
  RabbitQueueDeclaration,
  RabbitUser,
  RabbitUserDeclaration,
  RabbitVhost,
  RabbitVhostDeclaration,
  RabbitWhoami,
} from './types';

export interface RabbitManagementOptions {
  /** Default `http://127.0.0.1:15672`; user info in it is taken out and used as the credentials. */
  readonly url?: string;
  /** Default: the URL's user, else `guest`. */
  readonly username?: string;
  /** Default: the URL's password, else `guest`. */
  readonly password?: string;
  /** The vhost of the calls that name none. Default `/`. */
  readonly vhost?: string;
}

/** Options of {@link RabbitManagement.healthChecks}. */
export interface HealthCheckOptions {
  /** The port the port-listener check asks about. Default 5672 (AMQP, as python-zocalo asks). */
  readonly port?: number;
  /** The protocol the protocol-listener check asks about. Default `amqp`. */
  readonly protocol?: string;
  /** How soon a certificate may expire: `[count, unit]`, unit `days|weeks|months|years`. Default 1 month. */
  readonly certificateWithin?: readonly [number, 'days' | 'weeks' | 'months' | 'years'];
}

/** Both halves of python-zocalo's `health_checks` (`success`, `failure`), keyed by the check's path. */
export interface HealthChecks {
  readonly passed: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly failed: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

function asList<T>(answer: unknown): T[] {
  return Array.isArray(answer) ? (answer as T[]) : [];
}

export class RabbitManagement {
  /** The vhost of the calls that name none. */
  readonly vhost: string;
  /** The base URL, without credentials (`http://host:15672`). */
  readonly url: string;
  /** The user the client logs in as. */
  readonly username: string;
  private readonly authorization: string;

  constructor(options: RabbitManagementOptions = {}) {
    // Credentials in the URL (`http://guest:secret@host:15672`) are sent as the Authorization header
    // (fetch refuses such a URL and quotes it back, password and all); the options win over them.
    const fromUrl = splitUrlCredentials(options.url ?? 'http://127.0.0.1:15672');
    this.url = fromUrl.url.replace(/\/$/, '');
    this.vhost = options.vhost ?? '/';
    this.username = options.username ?? fromUrl.username ?? 'guest';
    const pass = options.password ?? fromUrl.password ?? 'guest';
    this.authorization = `Basic ${Buffer.from(`${this.username}:${pass}`).toString('base64')}`;
  }

  /**
   * The client of the first of `urls` (a list, or one text of comma-separated URLs, as a
   * `rabbitmqapi` block's `base_url` may hold) whose management API answers, as python-zocalo's
   * `RabbitMQAPI.from_zocalo_configuration` picks one; a {@link RabbitManagementUnreachableError}
   * naming the last when none does.
   */
  static async firstAnswering(
    urls: string | readonly string[],
    options: Omit<RabbitManagementOptions, 'url'> = {},
  ): Promise<RabbitManagement> {
    const list = (typeof urls === 'string' ? urls.split(',') : urls).map((url) => url.trim()).filter(Boolean);
    let last: unknown = new RabbitManagementUnreachableError('(no URL given)', 'no URL given');
    for (const url of list) {
      const management = new RabbitManagement({ ...options, url });
      try {
        await management.send('GET', '/api/health/checks/alarms');
        return management;
      } catch (error) {
        if (!(error instanceof RabbitManagementUnreachableError)) throw error;
        last = error;
      }
    }
    throw last;
  }

  private async send(method: string, path: string, body?: unknown): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new RabbitManagementUnreachableError(this.url, error);
    }
    return { status: response.status, text: await response.text() };
  }

  /** Sends a request; resolves with the parsed JSON answer (undefined for an empty one). */
  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const answer = await this.send(method, path, body);
    if (answer.status < 200 || answer.status >= 300) {
      throw new RabbitManagementError(method, path, answer.status, answer.text);
    }
    return answer.text.length > 0 ? (JSON.parse(answer.text) as unknown) : undefined;
  }

  /** A GET that resolves with undefined for 404 (no such object). */
  private async find<T>(path: string): Promise<T | undefined> {
    try {
      return (await this.request('GET', path)) as T;
    } catch (error) {
      if (error instanceof RabbitManagementError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** `/api/<kind>/<client vhost>[/<name>]`, URL-encoded. */
  path(kind: string, name?: string): string {
    const base = `/api/${kind}/${encodeURIComponent(this.vhost)}`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  /** `/api/<kind>/<vhost>[/<name>...]`, every part URL-encoded. */
  pathIn(kind: string, vhost: string, ...names: readonly string[]): string {
    return [`/api/${kind}`, vhost, ...names]
      .map((part, index) => (index === 0 ? part : encodeURIComponent(part)))
      .join('/');
  }

  // --- health checks (python-zocalo's `health_checks`) --------------------------------------------

  /** One check under `/api/health/checks/` (`alarms`, `port-listener/5672`, ...): 200 passes, 503 fails. */
  async healthCheck(check: string): Promise<HealthCheckResult> {
    const path = `health/checks/${check.replace(/^\/+/, '')}`;
    const answer = await this.send('GET', `/api/${path}`);
    let parsed: Record<string, unknown>;
    try {
      parsed = answer.text.length > 0 ? (JSON.parse(answer.text) as Record<string, unknown>) : {};
    } catch {
      parsed = { reason: answer.text };
    }
    if (answer.status !== 200 && answer.status !== 503) {
      throw new RabbitManagementError('GET', `/api/${path}`, answer.status, answer.text);
    }
    return { check: path, ok: answer.status === 200, status: answer.status, answer: parsed };
  }

  /** No alarm (memory, disk) in the cluster. */
  checkAlarms(): Promise<HealthCheckResult> {
    return this.healthCheck('alarms');
  }

  /** No alarm on the node that answers. */
  checkLocalAlarms(): Promise<HealthCheckResult> {
    return this.healthCheck('local-alarms');
  }

  /** No TLS certificate of a listener expires within the period (`1 months` as python-zocalo asks). */
  checkCertificateExpiration(
    within = 1,
    unit: 'days' | 'weeks' | 'months' | 'years' = 'months',
  ): Promise<HealthCheckResult> {
    return this.healthCheck(`certificate-expiration/${within}/${unit}`);
  }

  /** A listener on the port (python-zocalo asks about 5672). */
  checkPortListener(port: number): Promise<HealthCheckResult> {
    return this.healthCheck(`port-listener/${port}`);
  }

  /** A listener for the protocol (`amqp`, `amqp/ssl`, `stomp`, `http`, ...). */
  checkProtocolListener(protocol: string): Promise<HealthCheckResult> {
    return this.healthCheck(`protocol-listener/${encodeURIComponent(protocol)}`);
  }

  /** Every vhost is running. */
  checkVirtualHosts(): Promise<HealthCheckResult> {
    return this.healthCheck('virtual-hosts');
  }

  /** Stopping the node would not leave a classic mirrored queue without a synchronised mirror. */
  checkNodeIsMirrorSyncCritical(): Promise<HealthCheckResult> {
    return this.healthCheck('node-is-mirror-sync-critical');
  }

  /** Stopping the node would not leave a quorum queue without a majority. */
  checkNodeIsQuorumCritical(): Promise<HealthCheckResult> {
    return this.healthCheck('node-is-quorum-critical');
  }

  /** The eight checks of python-zocalo's `RabbitMQAPI.health_checks`, passed and failed, by path. */
  async healthChecks(options: HealthCheckOptions = {}): Promise<HealthChecks> {
    const [within, unit] = options.certificateWithin ?? [1, 'months'];
    const results = await Promise.all([
      this.checkAlarms(),
      this.checkLocalAlarms(),
      this.checkCertificateExpiration(within, unit),
      this.checkPortListener(options.port ?? 5672),
      this.checkProtocolListener(options.protocol ?? 'amqp'),
      this.checkVirtualHosts(),
      this.checkNodeIsMirrorSyncCritical(),
      this.checkNodeIsQuorumCritical(),
    ]);
    const passed: Record<string, Readonly<Record<string, unknown>>> = {};
    const failed: Record<string, Readonly<Record<string, unknown>>> = {};
    for (const result of results) (result.ok ? passed : failed)[result.check] = result.answer;
    return { passed, failed };
  }

  // --- the broker --------------------------------------------------------------------------------

  async overview(): Promise<RabbitOverview> {
    return (await this.request('GET', '/api/overview')) as RabbitOverview;
  }

  /** The exchange types the broker offers: `direct`, `fanout`, `headers`, `topic`, and plugins' (`x-delayed-message`). */
  async exchangeTypes(): Promise<string[]> {
    const types: readonly ExchangeTypeInfo[] = (await this.overview()).exchange_types ?? [];
    return types.filter((type) => type.enabled !== false).map((type) => type.name);
  }

  async nodes(): Promise<RabbitNode[]> {
    return asList(await this.request('GET', '/api/nodes'));
  }

  node(name: string): Promise<RabbitNode | undefined> {
    return this.find(`/api/nodes/${encodeURIComponent(name)}`);
  }

  async connections(): Promise<RabbitConnection[]> {
    return asList(await this.request('GET', '/api/connections'));
  }

  connection(name: string): Promise<RabbitConnection | undefined> {
    return this.find(`/api/connections/${encodeURIComponent(name)}`);
  }

  // --- vhosts ------------------------------------------------------------------------------------

  async vhosts(): Promise<RabbitVhost[]> {
    return asList(await this.request('GET', '/api/vhosts'));
  }

  vhostInfo(name: string): Promise<RabbitVhost | undefined> {
    return this.find(`/api/vhosts/${encodeURIComponent(name)}`);
  }

  /** The names of the broker's vhosts. */
  async vhostNames(): Promise<string[]> {
    return (await this.vhosts()).map((vhost) => vhost.name);
  }

  /** Creates a vhost, or sets the description, tags and tracing of one that exists (nothing in it is lost). */
  async putVhost(vhost: RabbitVhostDeclaration): Promise<void> {
    const { name, tags, ...body } = vhost;
    await this.request('PUT', `/api/vhosts/${encodeURIComponent(name)}`, {
      ...body,
      ...(tags === undefined ? {} : { tags: tags.join(',') }),
    });
  }

  /** Deletes a vhost and everything in it: queues, messages, exchanges, policies, permissions. */
  async deleteVhost(name: string): Promise<void> {
    await this.request('DELETE', `/api/vhosts/${encodeURIComponent(name)}`);
  }

  // --- users and permissions ---------------------------------------------------------------------

  async users(): Promise<RabbitUser[]> {
    return asList(await this.request('GET', '/api/users'));
  }

  user(name: string): Promise<RabbitUser | undefined> {
    return this.find(`/api/users/${encodeURIComponent(name)}`);
  }

  /** The user this client logs in as, and its tags. */
  async whoami(): Promise<RabbitWhoami> {
    return (await this.request('GET', '/api/whoami')) as RabbitWhoami;
  }

  /** Creates or replaces a user (python-zocalo's `user_put`): tags are sent comma-separated. */
  async putUser(user: RabbitUserDeclaration): Promise<void> {
    const { name, tags, ...body } = user;
    const hashed = body.password_hash !== undefined && body.hashing_algorithm === undefined;
    await this.request('PUT', `/api/users/${encodeURIComponent(name)}`, {
      ...body,
      ...(hashed ? { hashing_algorithm: 'rabbit_password_hashing_sha256' } : {}),
      tags: tags.join(','),
    });
  }

  async deleteUser(name: string): Promise<void> {
    await this.request('DELETE', `/api/users/${encodeURIComponent(name)}`);
  }

  /** Every permission of every user in every vhost. */
  async permissions(): Promise<RabbitPermission[]> {
    return asList(await this.request('GET', '/api/permissions'));
  }

  /** The permissions of a vhost, one per user. */
  async permissionsIn(vhost: string): Promise<RabbitPermission[]> {
    return asList(await this.request('GET', this.pathIn('vhosts', vhost, 'permissions')));
  }

  /** The permissions of a user, one per vhost. */
  async permissionsOf(user: string): Promise<RabbitPermission[]> {
    return asList(await this.request('GET', `/api/users/${encodeURIComponent(user)}/permissions`));
  }

  permission(vhost: string, user: string): Promise<RabbitPermission | undefined> {
    return this.find(this.pathIn('permissions', vhost, user));
  }

  /** Sets (or replaces) a user's permissions in a vhost. */
  async setPermission(permission: RabbitPermission): Promise<void> {
    const { vhost, user, ...body } = permission;
    await this.request('PUT', this.pathIn('permissions', vhost, user), body);
  }

  async clearPermission(vhost: string, user: string): Promise<void> {
    await this.request('DELETE', this.pathIn('permissions', vhost, user));
  }

  // --- policies ----------------------------------------------------------------------------------

  /** The policies of the client's vhost. */
  async policies(): Promise<RabbitPolicy[]> {
    return asList(await this.request('GET', this.path('policies')));
  }

  async policiesIn(vhost: string): Promise<(RabbitPolicy & { readonly vhost: string })[]> {
    return asList(await this.request('GET', this.pathIn('policies', vhost)));
  }

  async allPolicies(): Promise<(RabbitPolicy & { readonly vhost: string })[]> {
    return asList(await this.request('GET', '/api/policies'));
  }

  policy(vhost: string, name: string): Promise<(RabbitPolicy & { readonly vhost: string }) | undefined> {
    return this.find(this.pathIn('policies', vhost, name));
  }

  /** Creates or replaces a policy (idempotent). */
  async putPolicy(policy: RabbitPolicy & { readonly vhost: string }): Promise<void> {
    const { vhost, name, ...body } = policy;
    await this.request('PUT', this.pathIn('policies', vhost, name), body);
  }

  async deletePolicy(vhost: string, name: string): Promise<void> {
    await this.request('DELETE', this.pathIn('policies', vhost, name));
  }

  // --- queues ------------------------------------------------------------------------------------

  /** The queues of the client's vhost. */
  async queues(): Promise<RabbitQueue[]> {
    return asList(await this.request('GET', this.path('queues')));
  }

  async queuesIn(vhost: string): Promise<RabbitQueue[]> {
    return asList(await this.request('GET', this.pathIn('queues', vhost)));
  }

  async allQueues(): Promise<RabbitQueue[]> {
    return asList(await this.request('GET', '/api/queues'));
  }

  queue(vhost: string, name: string): Promise<RabbitQueue | undefined> {
    return this.find(this.pathIn('queues', vhost, name));
  }

  /** Declares a queue; the broker refuses (400) one that exists with other arguments. */
  async declareQueue(queue: RabbitQueueDeclaration): Promise<void> {
    const { vhost, name, ...body } = queue;
    await this.request('PUT', this.pathIn('queues', vhost, name), body);
  }

  /**
   * Deletes a queue. `ifEmpty` (`ifUnused`) makes the broker refuse (400) when it holds messages (has
   * consumers); RabbitMQ 3.10 refuses the flags themselves on quorum queues, so callers check instead.
   */
  async deleteQueue(
    vhost: string,
    name: string,
    options: { readonly ifEmpty?: boolean; readonly ifUnused?: boolean } = {},
  ): Promise<void> {
    const flags = [options.ifEmpty ? 'if-empty=true' : '', options.ifUnused ? 'if-unused=true' : ''].filter(
      Boolean,
    );
    await this.request(
      'DELETE',
      `${this.pathIn('queues', vhost, name)}${flags.length > 0 ? `?${flags.join('&')}` : ''}`,
    );
  }

  // --- exchanges ---------------------------------------------------------------------------------

  async exchangesIn(vhost: string): Promise<RabbitExchange[]> {
    return asList(await this.request('GET', this.pathIn('exchanges', vhost)));
  }

  async allExchanges(): Promise<RabbitExchange[]> {
    return asList(await this.request('GET', '/api/exchanges'));
  }

  /** The default exchange is `''` (the API calls it `amq.default`). */
  exchange(vhost: string, name: string): Promise<RabbitExchange | undefined> {
    return this.find(this.pathIn('exchanges', vhost, name === '' ? 'amq.default' : name));
  }

  /** Declares an exchange; the broker refuses (400) one that exists with another type or arguments. */
  async declareExchange(exchange: RabbitExchangeDeclaration): Promise<void> {
    const { vhost, name, ...body } = exchange;
    await this.request('PUT', this.pathIn('exchanges', vhost, name), body);
  }

  /** Deletes an exchange and every binding from or to it; `ifUnused`: only if nothing is bound to it. */
  async deleteExchange(
    vhost: string,
    name: string,
    options: { readonly ifUnused?: boolean } = {},
  ): Promise<void> {
    await this.request(
      'DELETE',
      `${this.pathIn('exchanges', vhost, name)}${options.ifUnused ? '?if-unused=true' : ''}`,
    );
  }

  // --- bindings ----------------------------------------------------------------------------------

  async bindingsIn(vhost: string): Promise<RabbitBinding[]> {
    return asList(await this.request('GET', this.pathIn('bindings', vhost)));
  }

  async allBindings(): Promise<RabbitBinding[]> {
    return asList(await this.request('GET', '/api/bindings'));
  }

  /** The bindings from an exchange to one queue or exchange (python-zocalo's `bindings(vhost, source, destination, type)`). */
  async bindingsBetween(
    vhost: string,
    source: string,
    destination: string,
    destinationType: 'queue' | 'exchange',
  ): Promise<RabbitBinding[]> {
    const kind = destinationType === 'queue' ? 'q' : 'e';
    return asList(await this.request('GET', this.pathIn('bindings', vhost, 'e', source, kind, destination)));
  }

  /** Binds; binding what is already bound changes nothing. */
  async declareBinding(binding: RabbitBindingDeclaration): Promise<void> {
    const kind = binding.destination_type === 'queue' ? 'q' : 'e';
    await this.request(
      'POST',
      this.pathIn('bindings', binding.vhost, 'e', binding.source, kind, binding.destination),
      { routing_key: binding.routing_key, arguments: binding.arguments },
    );
  }

  /** Deletes one binding, named by its `properties_key`. */
  async deleteBinding(binding: RabbitBinding): Promise<void> {
    const kind = binding.destination_type === 'queue' ? 'q' : 'e';
    await this.request(
      'DELETE',
      this.pathIn(
        'bindings',
        binding.vhost,
        'e',
        binding.source,
        kind,
        binding.destination,
        binding.properties_key,
      ),
    );
  }
}
