import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errorsFrom, parseForm } from '../web/forms.js';
import { roleNames, roles } from './model.js';
import { startSession } from './routes.js';
import { ChangePasswordBody, CreateTokenBody, CreateUserBody, LoginBody, ObjectIdParam, ResetPasswordBody } from './schemas.js';
import type { AccountService } from './service.js';

/** Only same-site paths are followed after login, never another host. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?!\/)[^\\]*$/.test(next) ? next : '/';
}

const roleOptions = roles.map((value) => ({ value, label: roleNames[value] }));
const IdParams = z.object({ id: ObjectIdParam });

export function accountPages(service: AccountService): FastifyPluginAsync {
  return async (app) => {
    const loginLimit = { max: app.config.LOGIN_RATE_LIMIT, timeWindow: 60_000 };

    app.get('/login', { config: { access: 'public' } }, async (request, reply) => {
      if (request.user) return reply.redirect('/', 303);
      const next = safeNext((request.query as Record<string, unknown>).next);
      return reply.page('accounts/login.hbs', { title: '登录', next }, { csrf: true });
    });

    app.post('/login', { config: { access: 'public', rateLimit: loginLimit } }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const next = safeNext(body.next);
      const form = parseForm(LoginBody, body);
      const user = form.ok ? await service.verifyCredentials(form.data.email, form.data.password) : null;
      if (!user) {
        const errors = form.ok ? { _form: '电子邮箱或密码不正确。' } : form.errors;
        return reply.code(form.ok ? 401 : 400).page('accounts/login.hbs', { title: '登录', next, errors, values: { email: body.email } }, { csrf: true });
      }
      await startSession(request, user);
      request.flash('success', `欢迎，${user.name}。`);
      return reply.redirect(next, 303);
    });

    app.post('/logout', { config: { access: 'public' } }, async (request, reply) => {
      await request.session.destroy();
      return reply.redirect('/', 303);
    });

    const renderAccount = async (request: FastifyRequest, extra: Record<string, unknown> = {}) => ({
      title: '我的账户',
      tokens: await service.listTokens(request.user!.id),
      ...extra,
    });

    app.get('/account', { config: { access: 'user' } }, async (request, reply) =>
      reply.page('accounts/account.hbs', await renderAccount(request)));

    app.post('/account/password', { config: { access: 'user' } }, async (request, reply) => {
      const form = parseForm(ChangePasswordBody, request.body);
      let errors = form.ok ? undefined : form.errors;
      if (form.ok) {
        try {
          await service.changePassword(request.user!.id, form.data.currentPassword, form.data.newPassword, request.session.sessionId);
          request.flash('success', '密码已修改，其他设备上的登录已失效。');
          return reply.redirect('/account', 303);
        } catch (err) {
          errors = errorsFrom(err);
        }
      }
      return reply.code(400).page('accounts/account.hbs', await renderAccount(request, { passwordErrors: errors }));
    });

    app.post('/account/tokens', { config: { access: 'user' } }, async (request, reply) => {
      const form = parseForm(CreateTokenBody, request.body);
      if (!form.ok) return reply.code(400).page('accounts/account.hbs', await renderAccount(request, { tokenErrors: form.errors }));
      const created = await service.createToken(request.user!.id, form.data.name);
      // The token is shown once, on this response only.
      return reply.code(201).page('accounts/account.hbs', await renderAccount(request, { newToken: created.token }));
    });

    app.post('/account/tokens/:id/revoke', { config: { access: 'user' } }, async (request, reply) => {
      const { id } = IdParams.parse(request.params);
      await service.revokeToken(request.user!.id, id);
      request.flash('success', '令牌已撤销。');
      return reply.redirect('/account', 303);
    });

    const renderUsers = async (extra: Record<string, unknown> = {}) => ({
      title: '用户管理',
      users: await service.listUsers(),
      roleOptions,
      ...extra,
    });

    app.get('/admin/users', { config: { access: ['admin'] } }, async (_request, reply) =>
      reply.page('accounts/users.hbs', await renderUsers()));

    app.post('/admin/users', { config: { access: ['admin'] } }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const form = parseForm(CreateUserBody, { ...body, org: body.org || undefined });
      let errors = form.ok ? undefined : form.errors;
      if (form.ok) {
        try {
          const user = await service.createUser(form.data);
          request.flash('success', `已创建用户 ${user.email}。`);
          return reply.redirect('/admin/users', 303);
        } catch (err) {
          errors = errorsFrom(err);
        }
      }
      return reply.code(400).page('accounts/users.hbs', await renderUsers({ errors, values: { ...body, password: '' } }));
    });

    for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
      app.post(`/admin/users/:id/${action}`, { config: { access: ['admin'] } }, async (request, reply) => {
        const { id } = IdParams.parse(request.params);
        try {
          const user = await service.updateUser(id, { disabled }, request.user!.id);
          request.flash('success', `${user.email} 已${disabled ? '停用' : '启用'}。`);
        } catch (err) {
          request.flash('error', errorsFrom(err)._form);
        }
        return reply.redirect('/admin/users', 303);
      });
    }

    app.post('/admin/users/:id/password', { config: { access: ['admin'] } }, async (request, reply) => {
      const { id } = IdParams.parse(request.params);
      const form = parseForm(ResetPasswordBody, request.body);
      if (!form.ok) {
        request.flash('error', `密码未重置：${form.errors.password}`);
      } else {
        await service.resetPassword(id, form.data.password);
        request.flash('success', '密码已重置，该用户需用新密码重新登录。');
      }
      return reply.redirect('/admin/users', 303);
    });
  };
}
