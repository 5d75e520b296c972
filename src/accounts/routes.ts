import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { unauthorized } from '../web/errors.js';
import type { CurrentUser } from './access.js';
import {
  ChangePasswordBody, CreateTokenBody, CreateUserBody, LoginBody, ObjectIdParam, ResetPasswordBody,
  TokenOut, UpdateUserBody, UserOut,
} from './schemas.js';
import type { AccountService } from './service.js';

const IdParams = z.object({ id: ObjectIdParam });

/** Starts a fresh session for the user (a new id defeats session fixation). */
export async function startSession(request: FastifyRequest, user: CurrentUser): Promise<void> {
  await request.session.regenerate();
  request.session.set('userId', user.id);
  await request.session.save();
}

export function accountRoutes(service: AccountService): FastifyPluginAsyncZod {
  return async (app) => {
    const loginLimit = { max: app.config.LOGIN_RATE_LIMIT, timeWindow: 60_000 };

    app.post('/api/v1/auth/login', {
      config: { access: 'public', rateLimit: loginLimit },
      schema: {
        summary: '登录，返回会话 Cookie', tags: ['账户'],
        body: LoginBody, response: { 200: z.object({ user: UserOut }) },
      },
    }, async (request) => {
      const user = await service.verifyCredentials(request.body.email, request.body.password);
      if (!user) throw unauthorized('电子邮箱或密码不正确。');
      await startSession(request, user);
      return { user };
    });

    app.post('/api/v1/auth/logout', {
      config: { access: 'user' },
      schema: { summary: '退出登录', tags: ['账户'] },
    }, async (request, reply) => {
      await request.session.destroy();
      return reply.code(204).send();
    });

    app.get('/api/v1/auth/me', {
      config: { access: 'user' },
      schema: { summary: '当前用户', tags: ['账户'], response: { 200: z.object({ user: UserOut }) } },
    }, async (request) => ({ user: request.user! }));

    app.post('/api/v1/auth/password', {
      config: { access: 'user' },
      schema: { summary: '修改自己的密码（其他会话随之失效）', tags: ['账户'], body: ChangePasswordBody },
    }, async (request, reply) => {
      await service.changePassword(request.user!.id, request.body.currentPassword, request.body.newPassword, request.session.sessionId);
      return reply.code(204).send();
    });

    app.post('/api/v1/auth/tokens', {
      config: { access: 'user' },
      schema: {
        summary: '创建 API 令牌（只显示这一次）', tags: ['账户'],
        body: CreateTokenBody.optional(),
        response: { 201: z.object({ id: z.string(), token: z.string() }) },
      },
    }, async (request, reply) => {
      const created = await service.createToken(request.user!.id, request.body?.name ?? 'API 令牌');
      return reply.code(201).send(created);
    });

    app.get('/api/v1/auth/tokens', {
      config: { access: 'user' },
      schema: { summary: '我的有效 API 令牌', tags: ['账户'], response: { 200: z.object({ tokens: z.array(TokenOut) }) } },
    }, async (request) => ({ tokens: await service.listTokens(request.user!.id) }));

    app.delete('/api/v1/auth/tokens/:id', {
      config: { access: 'user' },
      schema: { summary: '撤销 API 令牌', tags: ['账户'], params: IdParams },
    }, async (request, reply) => {
      await service.revokeToken(request.user!.id, request.params.id);
      return reply.code(204).send();
    });

    app.get('/api/v1/users', {
      config: { access: ['admin'] },
      schema: { summary: '用户列表', tags: ['用户管理'], response: { 200: z.object({ users: z.array(UserOut.extend({ orgName: z.string() })) }) } },
    }, async () => ({ users: await service.listUsers() }));

    app.post('/api/v1/users', {
      config: { access: ['admin'] },
      schema: { summary: '创建用户', tags: ['用户管理'], body: CreateUserBody, response: { 201: z.object({ id: z.string() }) } },
    }, async (request, reply) => {
      const user = await service.createUser(request.body);
      return reply.code(201).send({ id: user.id });
    });

    app.patch('/api/v1/users/:id', {
      config: { access: ['admin'] },
      schema: { summary: '修改用户（姓名、停用/启用）', tags: ['用户管理'], params: IdParams, body: UpdateUserBody, response: { 200: z.object({ user: UserOut }) } },
    }, async (request) => ({ user: await service.updateUser(request.params.id, request.body, request.user!.id) }));

    app.post('/api/v1/users/:id/password', {
      config: { access: ['admin'] },
      schema: { summary: '重置用户密码（其会话随之失效）', tags: ['用户管理'], params: IdParams, body: ResetPasswordBody },
    }, async (request, reply) => {
      await service.resetPassword(request.params.id, request.body.password);
      return reply.code(204).send();
    });
  };
}
