/** Middleware around every transport operation (transport.ts, `TransportMiddleware`). */
export type { MiddlewareChains, MiddlewareHook } from './chains';
export { NO_MIDDLEWARE, middlewareChains, runChain } from './chains';
export type { OperationCounts } from './counter-middleware';
export { CounterMiddleware } from './counter-middleware';
export { TimerMiddleware } from './timer-middleware';
