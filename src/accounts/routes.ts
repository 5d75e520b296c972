import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, unauthorized } from '../web/errors.js';
import { requireUser, type CurrentUser } from './access.js';
import { LoginLimitedError, normalizeEmail, type LoginLimit } from './login-limit.js';
import {
  ChangePasswordBody, CreateTokenBody, CreateUserBody, LoginBody, ObjectIdParam, ResetPasswordBody,
  TokenOut, UpdateUserBody, UserOut,
} from './schemas.js';
import type { AccountService } from './service.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('账户');
const userAdminRoute = apiRoute('用户管理');

const IdParams = z.object({ id: ObjectIdParam });

/** Starts a fresh session for the user (a new id defeats session fixation). */
export async function startSession(request: FastifyRequest, user: CurrentUser): Promise<void> {
  await request.session.regenerate();
  request.session.set('userId', user.id);
  await request.session.save();
}

/**
 * One login attempt, for the API and the /login form alike: the per-account limit first (429, with
 * Retry-After), then the password; every outcome goes to the audit trail.
 */
export async function attemptLogin(
  app: FastifyInstance, service: AccountService, limit: LoginLimit,
  request: FastifyRequest, reply: FastifyReply, email: string, password: string,
): Promise<CurrentUser | null> {
  const typed = normalizeEmail(email);
  try {
    await limit.begin(typed);
  } catch (err) {
    if (!(err instanceof LoginLimitedError)) throw err;
    reply.header('retry-after', String(err.retryAfterSeconds));
    await app.audit.recordRequest(request, { action: 'auth.login.blocked', email: typed, description: '该账号登录尝试过多，已暂时拒绝' });
    throw err;
  }
  const user = await service.verifyCredentials(typed, password);
  if (!user) {
    await app.audit.recordRequest(request, { action: 'auth.login.fail', email: typed, description: '电子邮箱或密码不正确（或账号已停用）' });
    return null;
  }
  await limit.succeeded(typed);
  await app.audit.recordRequest(request, {
    action: 'auth.login', actor: { id: user.id, name: user.name, email: user.email, role: user.role },
    target: { kind: 'user', id: user.id, label: user.email }, description: request.url.startsWith('/api/') ? '通过接口登录' : '通过登录页登录',
  });
  return user;
}

export function accountRoutes(service: AccountService, limit: LoginLimit): FastifyPluginAsyncZod {
  return async (app) => {
    const loginLimit = { max: app.config.LOGIN_RATE_LIMIT, timeWindow: 60_000 };

    app.post('/api/v1/auth/login', {
      config: { access: 'public', rateLimit: loginLimit },
      // JSON only: a cross-site form (urlencoded, multipart, text/plain) cannot log a browser in.
      onRequest: async (request) => {
        const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (type !== 'application/json') {
          throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', '登录接口只接受 JSON（Content-Type: application/json）；网页登录请使用登录页。');
        }
      },
      schema: {
        summary: '登录，返回会话 Cookie', tags: ['账户'],
        description: `只接受 application/json。每个客户端地址每分钟最多 ${app.config.LOGIN_RATE_LIMIT} 次；每个账号（电子邮箱）${app.config.LOGIN_ACCOUNT_WINDOW_MINUTES} 分钟内最多 ${app.config.LOGIN_ACCOUNT_RATE_LIMIT} 次失败，超过后返回 429 与 Retry-After。`,
        body: LoginBody, response: { 200: z.object({ user: UserOut }) },
      },
    }, async (request, reply) => {
      const user = await attemptLogin(app, service, limit, request, reply, request.body.email, request.body.password);
      if (!user) throw unauthorized('电子邮箱或密码不正确。');
      await startSession(request, user);
      return { user };
    });

    app.post('/api/v1/auth/logout', route('user', { summary: '退出登录' }), async (request, reply) => {
      await request.session.destroy();
      return reply.code(204).send();
    });

    app.get('/api/v1/auth/me', route('user', { summary: '当前用户', response: { 200: z.object({ user: UserOut }) } }), async (request) => ({ user: requireUser(request) }));

    app.post('/api/v1/auth/password', route('user', { summary: '修改自己的密码（其他会话和全部 API 令牌随之失效）', body: ChangePasswordBody }, { audit: 'password.change' }), async (request, reply) => {
      await service.changePassword(requireUser(request).id, request.body.currentPassword, request.body.newPassword, request.session.sessionId);
      return reply.code(204).send();
    });

    app.post('/api/v1/auth/tokens', route('user', {
      summary: '创建 API 令牌（只显示这一次）', description: `days：有效期天数，默认 ${app.config.API_TOKEN_DAYS}，最长 ${app.config.API_TOKEN_MAX_DAYS}。过期、撤销、修改或重置密码、停用账号后令牌失效（401）。`,
      body: CreateTokenBody.optional(),
      response: { 201: z.object({ id: z.string(), token: z.string(), expiresAt: z.string() }) },
    }), async (request, reply) => {
      const created = await service.createToken(requireUser(request).id, request.body?.name ?? 'API 令牌', request.body?.days);
      await app.audit.recordRequest(request, { action: 'token.create', target: { kind: 'token', id: created.id, label: created.name }, description: `创建 API 令牌，有效期至 ${created.expiresAt.slice(0, 10)}` });
      return reply.code(201).send({ id: created.id, token: created.token, expiresAt: created.expiresAt });
    });

    app.get('/api/v1/auth/tokens', route('user', { summary: '我的有效 API 令牌', response: { 200: z.object({ tokens: z.array(TokenOut) }) } }),
      async (request) => ({ tokens: await service.listTokens(requireUser(request).id) }));

    app.delete('/api/v1/auth/tokens/:id', route('user', { summary: '撤销 API 令牌', params: IdParams }, { audit: 'token.revoke' }), async (request, reply) => {
      await service.revokeToken(requireUser(request).id, request.params.id);
      return reply.code(204).send();
    });

    app.get('/api/v1/users', userAdminRoute(['admin'], { summary: '用户列表', response: { 200: z.object({ users: z.array(UserOut.extend({ orgName: z.string() })) }) } }),
      async () => ({ users: await service.listUsers() }));

    app.post('/api/v1/users', userAdminRoute(['admin'], { summary: '创建用户', body: CreateUserBody, response: { 201: z.object({ id: z.string() }) } }), async (request, reply) => {
      const user = await service.createUser(request.body);
      await app.audit.recordRequest(request, { action: 'user.create', target: { kind: 'user', id: user.id, label: user.email }, description: `创建用户（${user.role}）` });
      return reply.code(201).send({ id: user.id });
    });

    app.patch('/api/v1/users/:id', userAdminRoute(['admin'], { summary: '修改用户（姓名、停用/启用）', params: IdParams, body: UpdateUserBody, response: { 200: z.object({ user: UserOut }) } }, { audit: 'user.update' }),
      async (request) => ({ user: await service.updateUser(request.params.id, request.body, requireUser(request).id) }));

    app.post('/api/v1/users/:id/password', userAdminRoute(['admin'], { summary: '重置用户密码（其会话和 API 令牌随之失效）', params: IdParams, body: ResetPasswordBody }, { audit: 'password.reset' }), async (request, reply) => {
      await service.resetPassword(request.params.id, request.body.password);
      return reply.code(204).send();
    });
  };
}
