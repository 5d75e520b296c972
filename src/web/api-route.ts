/**
 * The options of a JSON API route, declared in one call: who may call it, its OpenAPI schema (summary,
 * description, params, body, response), grouped under the capability's tag, and any further route config
 * (the audit action a successful call records, a rate limit). A capability binds its tag once:
 *
 *   const route = apiRoute('采购需求');
 *   app.get('/api/v1/demands/:id', route(people, { summary: '需求详情', params, response }), handler);
 *   app.put('/api/v1/demands/:id', route(['buyer'], { summary: '修改需求', params, body }, { audit: 'demand.update' }), handler);
 *
 * The schema keeps its exact type, so the zod type provider still types the handler's request.
 */
import type { FastifyContextConfig, FastifySchema } from 'fastify';
import type { Access } from '../accounts/index.js';

type ApiSchema = FastifySchema & { summary: string; description?: string };

export const apiRoute = (tag: string) =>
  <S extends ApiSchema>(access: Access, schema: S, config: Omit<FastifyContextConfig, 'access'> = {}) => ({
    config: { ...config, access } as FastifyContextConfig,
    schema: { ...schema, tags: [tag] },
  });
