/** The OpenAPI document, generated from the zod schemas of every /api route, and a browsable /docs. */
import fp from 'fastify-plugin';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export default fp(async (app) => {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: '供需对接平台 API',
        description: '滨江区设备更新供应商清单与供需对接平台的 JSON 接口。登录后使用会话 Cookie，或在 Authorization 头中携带 Bearer 令牌。',
        version: '1.0.0',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'gx.sid' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: (input) => {
      // Only the JSON API belongs in the document; pages and health checks are not part of it.
      if (!input.url.startsWith('/api/') && input.url !== '/healthz') return { schema: { ...input.schema, hide: true }, url: input.url };
      return jsonSchemaTransform(input);
    },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // As for pages (security.ts): the platform may be served over plain http on an intranet.
    transformStaticCSP: (header: string) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
    uiConfig: { docExpansion: 'list', deepLinking: false },
  });
});
