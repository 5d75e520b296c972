/** Composes the platform from plugins; starts nothing and listens nowhere (see server.ts). */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import fastifyRateLimit from '@fastify/rate-limit';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mongoose';
import type { Meilisearch } from 'meilisearch';
import type { Config } from './config.js';
import { createModels, type Models } from './infra/models.js';
import { registerErrorHandling } from './web/errors.js';
import { registerJsonParser, safeValidatorCompiler } from './web/input.js';
import security from './web/security.js';
import session from './web/session.js';
import views from './web/views.js';
import docs from './web/docs.js';
import accounts, { accessControl, mongoRateLimitStore } from './accounts/index.js';
import audit from './audit/index.js';
import buyers from './buyers/index.js';
import health from './health/index.js';
import home from './home/index.js';
import suppliers from './suppliers/index.js';
import demands, { demandPages } from './demands/index.js';
import imports from './imports/index.js';
import search, { createSearchPool, productsIndexName, searchServer, type SearchPool } from './search/index.js';
import followUps from './followups/index.js';
import matching from './matching/index.js';
import notifications from './notifications/index.js';
import events from './events/index.js';
import reports from './reports/index.js';
import listBatches from './list-batches/index.js';
import visits from './visits/index.js';
import threads from './threads/index.js';

export interface AppConfig extends Config {
  sessionSecret: string;
}

export interface AppDeps {
  config: AppConfig;
  conn: Connection;
  /** The Meilisearch server, or the servers (MEILI_HOST may list several: each holds the whole index). */
  meili: Meilisearch | Meilisearch[];
  logger?: FastifyServerOptions['logger'];
  /** The platform's clock; tests pass their own to move time (freshness, deadlines). */
  clock?: () => Date;
  /** Background loops (search sync, freshness sweep, import jobs); tests may turn them off and run rounds by hand. */
  background?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig;
    conn: Connection;
    models: Models;
    /** The first (or only) Meilisearch server; reads go through `searchServers`. */
    meili: Meilisearch;
    /** Every configured Meilisearch server; `searchServers.read(fn)` runs a read on a healthy, caught-up one. */
    searchServers: SearchPool;
    clock: () => Date;
    /** Whether this instance runs the background loops. */
    runsBackground: boolean;
  }
}

/** TRUST_PROXY (src/config.ts) for Fastify: n hops means trust the n proxies nearest to us. */
function trustProxyOption(value: Config['TRUST_PROXY']) {
  return typeof value === 'number' ? (_address: string, hop: number) => hop < value : value;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? { level: deps.config.LOG_LEVEL },
    trustProxy: trustProxyOption(deps.config.TRUST_PROXY),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 2 * 1024 * 1024,
    // Plugins create their collections' indexes as they start (majority-acknowledged). On a loaded machine
    // or during a replica-set election that can take longer than Fastify's default 10 s per plugin; the start
    // should wait for it rather than fail.
    pluginTimeout: 60_000,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(safeValidatorCompiler);
  registerJsonParser(app);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.decorate('config', deps.config);
  app.decorate('conn', deps.conn);
  app.decorate('models', createModels(deps.conn));
  const clients = Array.isArray(deps.meili) ? deps.meili : [deps.meili];
  app.decorate('meili', clients[0]);
  app.decorate('searchServers', createSearchPool({ servers: clients.map(searchServer), models: app.models, indexUid: productsIndexName(deps.config.MEILI_INDEX_PREFIX) }));
  app.decorate('clock', deps.clock ?? (() => new Date()));
  app.decorate('runsBackground', deps.background ?? true);
  await Promise.all(Object.values(app.models).map((model) => model.init()));

  registerErrorHandling(app);
  await app.register(security);
  await app.register(fastifyFormbody);
  await app.register(fastifyStatic, {
    root: fileURLToPath(new URL('../public', import.meta.url)),
    prefix: '/public/',
    maxAge: '1h',
  });
  await app.register(session);
  // The unread count in the navigation is looked up per request, once notifications is registered below.
  await app.register(views, { unreadCount: (userId: string) => app.notifications.unreadCount(userId) });
  await app.register(fastifyRateLimit, { global: false, store: mongoRateLimitStore(app.models.RateLimit) });
  await app.register(docs);
  await app.register(accessControl);

  // Capabilities in dependency order; each declares its `dependencies`, so a wrong order fails at start.
  await app.register(health);
  await app.register(audit);
  await app.register(accounts);
  await app.register(buyers);
  await app.register(suppliers);
  // Matching before notifications and follow-ups: the match alerts and the opportunity feed rank with it.
  await app.register(matching);
  await app.register(notifications);
  await app.register(followUps);
  // Demands after notifications and follow-ups: opening a demand alerts vendors, followers keep seeing it.
  await app.register(demands);
  await app.register(events);
  // 企业调研/现场考察 beside the events: registrations take demands, outcomes move follow-ups.
  await app.register(visits);
  await app.register(imports);
  await app.register(search);
  // Conversations after follow-ups and notifications; before the demand pages, which list them.
  await app.register(threads);
  await app.register(demandPages);
  await app.register(reports);
  await app.register(listBatches);
  // Home last: its page shows the upcoming events and the latest batch of the list.
  await app.register(home);
  return app;
}
