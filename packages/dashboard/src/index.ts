/**
 * @zocalo/dashboard: the live web dashboard behind `zocalo dashboard`.
 *
 * - `server.ts`: {@link startDashboard}, the HTTP server, its JSON API and the Server-Sent Events channel.
 * - `auth.ts`: the token / basic-auth guard every request passes beyond loopback.
 * - `services.ts`: the services view, on the status tracker of @zocalo/workflows.
 * - `brokers.ts`: the queues view (RabbitMQ management API, ActiveMQ Jolokia).
 * - `dead-letters.ts`: the dead-letters view, on the `zocalo dlq` library code of @zocalo/schlockmeister.
 * - `recipes.ts`: the recipes view (SVG by @zocalo/recipes) and the start form (the `zocalo go` request).
 * - `public/`: the page (plain HTML, CSS and JavaScript, no build step).
 */
export { DASHBOARD_PORT, startDashboard } from './server';
export type { Dashboard, DashboardOptions } from './server';
export { TOKEN_COOKIE, createGuard, isLoopback, safeEqual } from './auth';
export type { BasicLogin, Guard, Presented } from './auth';
export { SPARKLINE_POINTS, ServiceTracker } from './services';
export type { ServiceGroup, ServiceTrackerOptions, ServiceView } from './services';
export { activemqBrokerView, rabbitBrokerView } from './brokers';
export type { BrokerView, QueueRow } from './brokers';
export { BODY_LIMIT, DeadLetters, describeSaved } from './dead-letters';
export type { Actor, SavedMessage } from './dead-letters';
export { Recipes } from './recipes';
export type { RecipeEntry } from './recipes';
export { DASHBOARD_ERROR_CODES, DashboardConfigurationError } from './errors';
export type { DashboardErrorCode } from './errors';
