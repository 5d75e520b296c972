/**
 * The platform's parts a capability's service is handed by its plugin (index.ts) instead of the whole
 * Fastify app: the models, the connection (transactions), the clock and the logger. A service's options
 * name the ones it uses; the plugin adds the other capabilities it calls.
 */
import type { FastifyInstance } from 'fastify';

export function platformDeps(app: FastifyInstance) {
  return { conn: app.conn, models: app.models, clock: app.clock, log: app.log };
}
