/**
 * The dashboard's HTTP server (hono on @hono/node-server): the page and its assets from `public/`,
 * a JSON API and one Server-Sent Events channel (`/api/events`) that pushes the services view as
 * it changes. Every request, the live channel included, passes the {@link Guard}.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Logger, Transport } from '@zocalo/workflows';
import { getDefaultLogger, watchStatus } from '@zocalo/workflows';
import type { BasicLogin } from './auth';
import type { BrokerView, QueueRow } from './brokers';
import type { Actor } from './dead-letters';
import { DeadLetters } from './dead-letters';
import { Recipes } from './recipes';
import { TOKEN_COOKIE, createGuard } from './auth';
import { DashboardConfigurationError } from './errors';
import type { ServiceTrackerOptions } from './services';
import { ServiceTracker } from './services';

/** What {@link startDashboard} takes. */
export interface DashboardOptions extends ServiceTrackerOptions {
  /** A connected transport: the status broadcasts are read from it. */
  readonly transport: Transport;
  /** Address to bind (default 127.0.0.1); beyond loopback a `token` or `basicAuth` is required. */
  readonly host?: string;
  /** Port (default 8880; 0 for any free one). */
  readonly port?: number;
  /** The token every request must carry when set (`?token=`, `Authorization: Bearer`, or the cookie). */
  readonly token?: string;
  /** A basic-auth login accepted as well as (or instead of) the token. */
  readonly basicAuth?: BasicLogin;
  /**
   * The broker's queues and dead-letter queues (RabbitMQ's management API or ActiveMQ's Jolokia):
   * without it the Queues and Dead letters views say the site names none.
   */
  readonly broker?: BrokerView;
  /** Where purged dead letters are saved as files and reinjected from (default `./DLQ`). */
  readonly purgeDirectory?: string;
  /** The site's recipe directory (storage `zocalo.recipe_directory`): drawn, and started from a form. */
  readonly recipeDirectory?: string;
  /** Seconds between two readings of the queues (default 3). */
  readonly queueInterval?: number;
  /** Milliseconds between two pushes of the services view at most (default 1000). */
  readonly pushInterval?: number;
  readonly logger?: Logger;
  /** Where the page's files are (default: the package's `public/`). */
  readonly publicDir?: string;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://host:port/` (without the token). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The services view now (what the page shows). */
  readonly services: ServiceTracker;
  /** Stop listening, end the live channels and stop reading status broadcasts. */
  close(): Promise<void>;
}

/** The default port of `zocalo dashboard`. */
export const DASHBOARD_PORT = 8880;

/** The files the page loads, with their types; nothing else under public/ is served. */
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * Only our own files run on the page: a name or body that smuggles markup in cannot load or run
 * a script even if some code path rendered it as HTML (the page renders data as text only).
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DASHBOARD_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DashboardConfigurationError(`the dashboard port must be 0-65535, not ${port}`);
  }
  const guard = createGuard(host, options.token, options.basicAuth);
  const logger = options.logger ?? getDefaultLogger();
  const publicDir = options.publicDir ?? defaultPublicDir();
  const tracker = new ServiceTracker(options);
  const pushInterval = options.pushInterval ?? 1000;
  const broker = options.broker;
  const deadLetters = broker
    ? new DeadLetters(options.transport, broker, options.purgeDirectory ?? 'DLQ', logger)
    : undefined;
  const recipes =
    options.recipeDirectory === undefined
      ? undefined
      : new Recipes(options.recipeDirectory, options.transport, logger);
  let queues: { readonly at: string; readonly rows: readonly QueueRow[]; readonly error?: string } = {
    at: new Date().toISOString(),
    rows: [],
    ...(broker ? {} : { error: 'no queue statistics: the site names no management API or Jolokia' }),
  };
  const queueTimer = broker
    ? setInterval(() => void readQueues(), (options.queueInterval ?? 3) * 1000)
    : undefined;
  async function readQueues(): Promise<void> {
    if (!broker) return;
    try {
      queues = { at: new Date().toISOString(), rows: await broker.queues() };
    } catch (error) {
      queues = { ...queues, error: error instanceof Error ? error.message : String(error) };
    }
    for (const listener of queueListeners) listener();
  }
  const queueListeners = new Set<() => void>();
  if (broker) await readQueues();

  // Each live channel's wake-up: called when the services view changed.
  const listeners = new Set<() => void>();
  const stopWatching = await watchStatus(options.transport, (message) => {
    if (tracker.update(message)) for (const listener of listeners) listener();
  });

  const app = new Hono();
  app.use('*', async (c, next) => {
    const presented = {
      query: c.req.query('token'),
      authorization: c.req.header('authorization'),
      cookie: c.req.header('cookie'),
    };
    if (!guard.allows(presented)) {
      logger.warn({ path: c.req.path, from: remote(c) }, 'dashboard request refused: no valid token');
      if (options.basicAuth) c.header('WWW-Authenticate', 'Basic realm="zocalo dashboard", charset="UTF-8"');
      return c.text('a valid dashboard token is required\n', 401);
    }
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    // A token given in the address is kept in a cookie so that the page's own requests carry it.
    if (guard.required && presented.query !== undefined) {
      c.header(
        'Set-Cookie',
        `${TOKEN_COOKIE}=${encodeURIComponent(presented.query)}; Path=/; HttpOnly; SameSite=Strict`,
      );
    }
  });

  const asset = async (c: Context, name: string): Promise<Response> => {
    const type = ASSETS[name];
    if (type === undefined) return c.text('not found\n', 404);
    const body = await readFile(join(publicDir, name));
    return c.body(body, 200, { 'Content-Type': type });
  };
  app.get('/', (c) => asset(c, 'index.html'));
  app.get('/assets/:name', (c) => asset(c, c.req.param('name')));

  app.get('/api/services', (c) => c.json(tracker.groups()));
  app.get('/api/queues', (c) => c.json(queues));

  // Actions change the broker: a JSON body with `confirm: true` (the page asks first), and a header a
  // cross-site form cannot send.
  const action = async (c: Context): Promise<Record<string, unknown> | Response> => {
    if (c.req.header('x-zocalo-dashboard') !== '1')
      return c.json({ error: 'missing X-Zocalo-Dashboard header' }, 403);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'the request body must be JSON' }, 400);
    }
    if (body === null || typeof body !== 'object' || (body as { confirm?: unknown }).confirm !== true) {
      return c.json({ error: 'not confirmed' }, 400);
    }
    return body as Record<string, unknown>;
  };
  const actor = (c: Context): Actor => {
    const auth = c.req.header('authorization') ?? '';
    const basic = /^Basic /i.test(auth)
      ? Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8').split(':')[0]
      : undefined;
    const who = basic ?? (guard.required ? 'token holder' : 'local user');
    const from = remote(c);
    return { who, ...(from === undefined ? {} : { from }) };
  };
  const noBroker = (c: Context): Response =>
    c.json({ error: 'the site names no management API or Jolokia for dead-letter queues' }, 409);
  const noRecipes = (c: Context): Response =>
    c.json({ error: 'the site names no recipe directory (storage zocalo.recipe_directory)' }, 409);
  app.get('/api/recipes', async (c) =>
    recipes ? c.json({ directory: recipes.directory, recipes: await recipes.list() }) : noRecipes(c),
  );
  app.get('/api/recipes/:name{.+\\.svg}', async (c) => {
    if (!recipes) return noRecipes(c);
    try {
      const svg = await recipes.svg(c.req.param('name').slice(0, -4));
      return c.body(svg, 200, { 'Content-Type': 'image/svg+xml; charset=utf-8' });
    } catch (error) {
      return c.text(error instanceof Error ? error.message : String(error), 404);
    }
  });
  app.post('/api/recipes/start', async (c) => {
    const body = await action(c);
    if (body instanceof Response) return body;
    if (!recipes) return noRecipes(c);
    const parameters = body.parameters ?? {};
    if (typeof body.recipe !== 'string') return c.json({ error: 'recipe missing' }, 400);
    if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) {
      return c.json({ error: 'parameters must be a JSON object' }, 400);
    }
    try {
      const guid = await recipes.start(body.recipe, parameters as Record<string, unknown>, actor(c));
      return c.json({ guid });
    } catch (error) {
      return c.json({ error: error instanceof Error ? error.message : String(error) }, 400);
    }
  });
  app.get('/api/dlq', async (c) => {
    if (!deadLetters) return noBroker(c);
    let counts;
    let error: string | undefined;
    try {
      counts = await deadLetters.counts();
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    return c.json({
      counts: counts ?? [],
      saved: await deadLetters.saved(),
      directory: deadLetters.directory,
      ...(error ? { error } : {}),
    });
  });
  app.post('/api/dlq/purge', async (c) => {
    const body = await action(c);
    if (body instanceof Response) return body;
    if (!deadLetters) return noBroker(c);
    if (typeof body.queue !== 'string') return c.json({ error: 'queue missing' }, 400);
    try {
      return c.json(await deadLetters.purge(body.queue, actor(c)));
    } catch (error) {
      return c.json({ error: error instanceof Error ? error.message : String(error) }, 400);
    }
  });
  app.post('/api/dlq/reinject', async (c) => {
    const body = await action(c);
    if (body instanceof Response) return body;
    if (!deadLetters) return noBroker(c);
    const ids =
      body.all === true
        ? ('all' as const)
        : Array.isArray(body.ids) && body.ids.every((id) => typeof id === 'string')
          ? (body.ids as string[])
          : undefined;
    if (ids === undefined) return c.json({ error: 'ids (a list) or all: true' }, 400);
    try {
      return c.json({ outcomes: await deadLetters.reinject(ids, actor(c)) });
    } catch (error) {
      return c.json({ error: error instanceof Error ? error.message : String(error) }, 400);
    }
  });
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      let dirty = true;
      let wake: (() => void) | undefined;
      const listener = (): void => {
        dirty = true;
        wake?.();
      };
      listeners.add(listener);
      let queuesDirty = broker !== undefined;
      const queueListener = (): void => {
        queuesDirty = true;
        wake?.();
      };
      queueListeners.add(queueListener);
      stream.onAbort(() => {
        listeners.delete(listener);
        queueListeners.delete(queueListener);
        wake?.();
      });
      let last = '';
      while (!stream.aborted && !closed) {
        if (dirty) {
          dirty = false;
          const data = JSON.stringify(tracker.groups());
          if (data !== last) {
            last = data;
            await stream.writeSSE({ event: 'services', data });
          }
        }
        if (queuesDirty) {
          queuesDirty = false;
          await stream.writeSSE({ event: 'queues', data: JSON.stringify(queues) });
        }
        // At most one push per interval; ages and fading are refreshed every interval anyway.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, pushInterval);
          function done(): void {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
          wake = closed ? undefined : () => setTimeout(done, 0);
        });
        dirty = true;
      }
      listeners.delete(listener);
      queueListeners.delete(queueListener);
    }),
  );

  let closed = false;
  const server = await new Promise<ServerType>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(started));
    started.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}/`;
  logger.info({ url, guarded: guard.required }, 'dashboard listening');
  return {
    url,
    host: address.address,
    port: address.port,
    services: tracker,
    async close() {
      if (closed) return;
      closed = true;
      if (queueTimer) clearInterval(queueTimer);
      for (const listener of listeners) listener();
      await stopWatching().catch(() => undefined);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open live channels would keep close() waiting.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

/** The package's `public/`, beside `dist/` (or `src/`). */
function defaultPublicDir(): string {
  // The builds (CJS, and ESM through tsup's shim) and the tests (CommonJS) know their folder.
  if (typeof __dirname === 'string') return join(__dirname, '..', 'public');
  // Run from source as ESM (tsx): the package as the working directory resolves it.
  const require = createRequire(join(process.cwd(), 'index.js'));
  return join(dirname(require.resolve('@zocalo/dashboard/package.json')), 'public');
}

function remote(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}
