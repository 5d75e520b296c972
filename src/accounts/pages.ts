import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorsFrom, formErrors, IdParams, submitForm } from '../web/forms.js';
import { badRequest } from '../web/errors.js';
import { LoginLimitedError, type LoginLimit } from './login-limit.js';
import { roleNames, roles } from './model.js';
import { safeNext } from './next.js';
import { attemptLogin, startSession } from './routes.js';
import { ChangePasswordBody, CreateTokenBody, CreateUserBody, LoginBody, ResetPasswordBody } from './schemas.js';
import type { AccountService } from './service.js';
import { requireUser } from './access.js';

const roleOptions = roles.map((value) => ({ value, label: roleNames[value] }));
const blankToUndefined = (v: unknown) => (v === '' ? undefined : v);
/** The login form also carries where to go next (checked by safeNext, never trusted). */
const LoginForm = LoginBody.extend({ next: z.unknown().optional() });
/** An empty lifetime field means the default lifetime. */
const TokenForm = CreateTokenBody.extend({ days: z.preprocess(blankToUndefined, CreateTokenBody.shape.days) });
/** An empty organization field means none. */
const UserForm = CreateUserBody.extend({ org: z.preprocess(blankToUndefined, CreateUserBody.shape.org) });
const LoginQuery = z.object({ next: z.unknown().optional() });
/** 通知设置: one checkbox per (kind, channel) that is on, each posted as `on=<kind>|<channel>`; missing = off. */
const NotificationForm = z.looseObject({
  on: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().max(100)).max(200)),
});

export function accountPages(service: AccountService, limit: LoginLimit): FastifyPluginAsyncZod {
  return async (app) => {
    const loginLimit = { max: app.config.LOGIN_RATE_LIMIT, timeWindow: 60_000 };

    app.get('/login', { config: { access: 'public' }, schema: { querystring: LoginQuery } }, async (request, reply) => {
      if (request.user) return reply.redirect('/', 303);
      const next = safeNext(request.query.next);
      return reply.page('accounts/login.hbs', { title: '登录', next }, { csrf: true });
    });

    app.post('/login', { config: { access: 'public', rateLimit: loginLimit }, schema: { body: LoginForm }, attachValidation: true }, async (request, reply) => {
      const formErrorsFound = formErrors(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const next = safeNext(body.next);
      let limited: LoginLimitedError | undefined;
      let user = null;
      if (!formErrorsFound) {
        try {
          user = await attemptLogin(app, service, limit, request, reply, request.body.email, request.body.password);
        } catch (err) {
          if (!(err instanceof LoginLimitedError)) throw err;
          limited = err;
        }
      }
      if (!user) {
        const errors = limited ? { _form: limited.message } : formErrorsFound ?? { _form: '电子邮箱或密码不正确。' };
        const status = limited ? 429 : formErrorsFound ? 400 : 401;
        return reply.code(status).page('accounts/login.hbs', { title: '登录', next, errors, values: { email: body.email } }, { csrf: true });
      }
      await startSession(request, user);
      request.flash('success', `欢迎，${user.name}。`);
      return reply.redirect(next, 303);
    });

    app.post('/logout', { config: { access: 'public' } }, async (request, reply) => {
      await request.session.destroy();
      return reply.redirect('/', 303);
    });

    // 通知设置 comes from notifications, registered after accounts: looked up per request, like the unread count.
    const notificationSettings = async (userId: string) => {
      const settings = await app.notifications.settings(userId);
      return {
        emailActive: settings.channels.find((c) => c.name === 'email')?.active ?? false,
        channels: settings.channels,
        kinds: settings.kinds.map((k) => ({
          ...k,
          switches: settings.channels.map((c) => ({ value: `${k.kind}|${c.name}`, label: c.label, kindLabel: k.label, on: k.channels[c.name as keyof typeof k.channels] })),
        })),
      };
    };

    const renderAccount = async (request: FastifyRequest, extra: Record<string, unknown> = {}) => ({
      title: '我的账户',
      notifications: await notificationSettings(requireUser(request).id),
      tokens: await service.listTokens(requireUser(request).id),
      tokenDays: service.tokenPolicy,
      tokenDaysHint: `默认 ${service.tokenPolicy.defaultDays} 天，最长 ${service.tokenPolicy.maxDays} 天`,
      ...extra,
    });

    app.get('/account', { config: { access: 'user' } }, async (request, reply) =>
      reply.page('accounts/account.hbs', await renderAccount(request)));

    app.post('/account/password', {
      config: { access: 'user', audit: 'password.change' }, schema: { body: ChangePasswordBody }, attachValidation: true,
    }, async (request, reply) => {
      const errors = await submitForm(request, () =>
        service.changePassword(requireUser(request).id, request.body.currentPassword, request.body.newPassword, request.session.sessionId));
      if (!errors) {
        request.flash('success', '密码已修改，其他设备上的登录已失效。');
        return reply.redirect('/account', 303);
      }
      return reply.code(400).page('accounts/account.hbs', await renderAccount(request, { passwordErrors: errors }));
    });

    app.post('/account/notifications', { config: { access: 'user' }, schema: { body: NotificationForm }, attachValidation: true }, async (request, reply) => {
      const errors = await submitForm(request, async () => {
        const userId = requireUser(request).id;
        const on = new Set(request.body.on);
        const current = await app.notifications.settings(userId);
        // Every switch shown is either posted (on) or not (off); anything else posted is not a switch of this page.
        const shown = new Set(current.kinds.flatMap((k) => current.channels.map((c) => `${k.kind}|${c.name}`)));
        if ([...on].some((v) => !shown.has(v))) throw badRequest('提交的通知设置中有无法识别的选项，请刷新页面后重试。');
        await app.notifications.updateSettings(userId, current.kinds.map((k) => ({
          kind: k.kind,
          channels: Object.fromEntries(current.channels.map((c) => [c.name, on.has(`${k.kind}|${c.name}`)])),
        })));
      });
      if (!errors) {
        request.flash('success', '通知设置已保存。');
        return reply.redirect('/account#notification-settings', 303);
      }
      return reply.code(400).page('accounts/account.hbs', await renderAccount(request, { notificationErrors: errors }));
    });

    app.post('/account/tokens', { config: { access: 'user' }, schema: { body: TokenForm }, attachValidation: true }, async (request, reply) => {
      const errors = formErrors(request);
      if (errors) return reply.code(400).page('accounts/account.hbs', await renderAccount(request, { tokenErrors: errors }));
      let created: Awaited<ReturnType<AccountService['createToken']>>;
      try {
        created = await service.createToken(requireUser(request).id, request.body.name, request.body.days);
      } catch (err) {
        return reply.code(400).page('accounts/account.hbs', await renderAccount(request, { tokenErrors: errorsFrom(err) }));
      }
      await app.audit.recordRequest(request, { action: 'token.create', target: { kind: 'token', id: created.id, label: created.name }, description: `创建 API 令牌，有效期至 ${created.expiresAt.slice(0, 10)}` });
      // The token is shown once, on this response only.
      return reply.code(201).page('accounts/account.hbs', await renderAccount(request, { newToken: created.token }));
    });

    app.post('/account/tokens/:id/revoke', { config: { access: 'user', audit: 'token.revoke' }, schema: { params: IdParams } }, async (request, reply) => {
      const { id } = request.params;
      await service.revokeToken(requireUser(request).id, id);
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

    app.post('/admin/users', { config: { access: ['admin'] }, schema: { body: UserForm }, attachValidation: true }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const errors = await submitForm(request, async () => {
        const user = await service.createUser(request.body);
        await app.audit.recordRequest(request, { action: 'user.create', target: { kind: 'user', id: user.id, label: user.email }, description: `创建用户（${user.role}）` });
        request.flash('success', `已创建用户 ${user.email}。`);
      });
      if (!errors) return reply.redirect('/admin/users', 303);
      return reply.code(400).page('accounts/users.hbs', await renderUsers({ errors, values: { ...body, password: '' } }));
    });

    for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
      app.post(`/admin/users/:id/${action}`, { config: { access: ['admin'], audit: `user.${action}` }, schema: { params: IdParams } }, async (request, reply) => {
        const { id } = request.params;
        try {
          const user = await service.updateUser(id, { disabled }, requireUser(request).id);
          request.flash('success', `${user.email} 已${disabled ? '停用' : '启用'}。`);
        } catch (err) {
          request.flash('error', errorsFrom(err)._form);
        }
        return reply.redirect('/admin/users', 303);
      });
    }

    app.post('/admin/users/:id/password', {
      config: { access: ['admin'], audit: 'password.reset' }, schema: { params: IdParams, body: ResetPasswordBody }, attachValidation: true,
    }, async (request, reply) => {
      const errors = formErrors(request);
      const { id } = request.params;
      if (errors) {
        request.flash('error', `密码未重置：${errors.password ?? errors._form}`);
      } else {
        await service.resetPassword(id, request.body.password);
        request.flash('success', '密码已重置，该用户需用新密码重新登录。');
      }
      return reply.redirect('/admin/users', 303);
    });
  };
}
