import fp from 'fastify-plugin';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mongoAnswers } from '../infra/db.js';
import { meiliAnswers } from '../infra/meili.js';

const ServerHealth = z.object({
  url: z.string(),
  /** ok: answers, built and caught up (searches go to it); behind: answers but still catching up; unbuilt: its index is being built; down: does not answer. */
  status: z.enum(['ok', 'behind', 'unbuilt', 'down']),
  /** Changes it has not received yet (absent when MongoDB cannot be asked). */
  pending: z.number().int().optional(),
});

const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  down: z.array(z.enum(['mongodb', 'meilisearch'])).optional(),
  message: z.string().optional(),
  /** Only with several Meilisearch servers (MEILI_HOST lists them): each one's state. */
  servers: z.array(ServerHealth).optional(),
});

type ServerHealth = z.infer<typeof ServerHealth>;

const health: FastifyPluginAsyncZod = async (app) => {
  /**
   * Each configured search server, looked at now. Search works while one of them answers with a built
   * index; with MongoDB away only the probes are left (a server that answers counts).
   */
  async function searchServers(): Promise<{ usable: boolean; servers?: ServerHealth[] }> {
    const pool = app.searchServers;
    if (pool.servers.length === 1) return { usable: await meiliAnswers(app.meili) };
    const statuses = await pool.status(true).catch(() => null);
    if (!statuses) {
      const answers = await Promise.all(pool.servers.map((s) => meiliAnswers(s.client)));
      return { usable: answers.some(Boolean), servers: pool.servers.map((s, i) => ({ url: s.url, status: answers[i] ? 'ok' : 'down' })) };
    }
    const servers = statuses.map((s): ServerHealth => ({
      url: s.url,
      status: !s.up ? 'down' : !s.built ? 'unbuilt' : !s.caughtUp ? 'behind' : 'ok',
      pending: s.pending,
    }));
    return { usable: statuses.some((s) => s.up && s.built), servers };
  }

  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        summary: '健康检查：MongoDB 与 Meilisearch 均可用时返回 200（多台搜索服务器时至少一台可用，并逐台列出）',
        tags: ['运维'],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const [mongo, search] = await Promise.all([mongoAnswers(app.conn), searchServers()]);
      const listed = search.servers ? { servers: search.servers } : {};
      const notOk = (search.servers ?? []).filter((s) => s.status !== 'ok');
      if (mongo && search.usable) {
        if (!notOk.length) return { status: 'ok' as const, ...listed };
        // Searches go on on the other servers: the instance stays in the load balancer, the answer says what is wrong.
        return { status: 'degraded' as const, message: `部分搜索服务器暂不参与搜索：${notOk.map((s) => `${s.url}（${statusName[s.status]}）`).join('、')}`, ...listed };
      }
      const down = [...(mongo ? [] : ['mongodb' as const]), ...(search.usable ? [] : ['meilisearch' as const])];
      return reply.code(503).send({ status: 'degraded' as const, down, message: `不可用：${down.join('、')}`, ...listed });
    },
  );
};

const statusName: Record<ServerHealth['status'], string> = { ok: '正常', behind: '正在补发变更', unbuilt: '正在建立索引', down: '无法连接' };

export default fp(async (app) => { await app.register(health); }, { name: 'health' });
