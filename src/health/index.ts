import fp from 'fastify-plugin';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mongoAnswers } from '../infra/db.js';
import { meiliAnswers } from '../infra/meili.js';

const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  down: z.array(z.enum(['mongodb', 'meilisearch'])).optional(),
  message: z.string().optional(),
});

const health: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        summary: '健康检查：MongoDB 与 Meilisearch 均可用时返回 200',
        tags: ['运维'],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const [mongo, meili] = await Promise.all([mongoAnswers(app.conn), meiliAnswers(app.meili)]);
      if (mongo && meili) return { status: 'ok' as const };
      const down = [...(mongo ? [] : ['mongodb' as const]), ...(meili ? [] : ['meilisearch' as const])];
      return reply.code(503).send({ status: 'degraded' as const, down, message: `不可用：${down.join('、')}` });
    },
  );
};
export default fp(async (app) => { await app.register(health); }, { name: 'health' });
