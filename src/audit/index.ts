/**
 * 审计日志: who did what, when and from where. `app.audit.record(...)` / `app.audit.recordRequest(request, ...)`
 * append an entry; a route declaring `config: { audit: 'vendor.approve' }` gets one for every call that
 * succeeded, from the onSend hook below. Admins read the trail at /admin/audit and GET /api/v1/audit.
 *
 * "Succeeded" for the hook: the answer is below 400 AND the handler did not flash an error. Page routes
 * re-render a refused form with 4xx, or flash the refusal and redirect (303, like a success): counting
 * the error flashes before and after the handler tells the two apart without touching the handlers.
 */
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { auditService, type AuditService } from './service.js';
import auditRoutes from './routes.js';
import auditPages from './pages.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Record an audit entry for each successful call (an action code of src/audit/actions.ts). */
    audit?: string;
  }
  interface FastifyInstance {
    audit: AuditService;
  }
  interface FastifyRequest {
    /** Error flashes present when the handler started (set only on audited routes). */
    auditErrorFlashes?: number;
  }
}

const errorFlashes = (request: FastifyRequest) =>
  ((request.session?.get('flash') as Array<{ kind: string }> | undefined) ?? []).filter((f) => f.kind === 'error').length;

export default fp(async (app) => {
  app.decorate('audit', auditService(app.models, app.clock));
  app.decorateRequest('auditErrorFlashes', undefined);

  // preHandler: only requests that passed access control and CSRF get this far.
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config?.audit) request.auditErrorFlashes = errorFlashes(request);
  });
  // onSend, not onResponse: the entry is stored before the caller sees the answer.
  app.addHook('onSend', async (request, reply, payload) => {
    const code = request.routeOptions.config?.audit;
    if (!code || request.auditErrorFlashes === undefined || reply.statusCode >= 400) return payload;
    if (errorFlashes(request) > request.auditErrorFlashes) return payload;
    request.auditErrorFlashes = undefined;
    await app.audit.recordRoute(request, code).catch((err: unknown) => request.log.error({ err, action: code }, 'audit entry not recorded'));
    return payload;
  });

  await app.register(auditRoutes);
  await app.register(auditPages);
}, { name: 'audit' });
