/**
 * The page forms' one way of validating (src/web/forms.ts formErrors): a route's zod schema with
 * attachValidation gives inline Chinese field errors, a malformed page id a 404, and no English zod
 * message reaches a person. Runs on a bare Fastify with the platform's compiler, no database.
 */
import t from 'tap';
import Fastify from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { safeValidatorCompiler } from '../../src/web/input.js';
import { formErrors, IdParams, submitForm } from '../../src/web/forms.js';
import { AppError, badRequest } from '../../src/web/errors.js';
import { ProductForm, VendorProfileForm, VendorRegisterForm } from '../../src/suppliers/pages-forms.js';
import { CloseBody, DemandListQuery } from '../../src/demands/schemas.js';
import { MoveForm } from '../../src/followups/schemas.js';
import { ChangePasswordBody, CreateUserBody, LoginBody, ResetPasswordBody } from '../../src/accounts/schemas.js';
import { ReasonBody } from '../../src/suppliers/schemas.js';
import { AuditQuery } from '../../src/audit/service.js';
import { ReportQuery } from '../../src/reports/schemas.js';
import { SearchQuery } from '../../src/search/schemas.js';

const forms: Record<string, z.ZodType> = {
  VendorRegisterForm, VendorProfileForm, ProductForm, CloseBody, DemandListQuery, MoveForm, ChangePasswordBody, CreateUserBody,
  LoginBody, ResetPasswordBody, ReasonBody, AuditQuery, ReportQuery, SearchQuery,
};

async function appWith(schema: z.ZodType) {
  const app = Fastify();
  app.setValidatorCompiler(safeValidatorCompiler);
  app.setErrorHandler(async (err, _request, reply) => reply.code(err instanceof AppError ? err.statusCode : 500).send({ message: (err as Error).message }));
  await app.register(fastifyFormbody);
  const routes: FastifyPluginAsyncZod = async (r) => {
    r.post('/things/:id', { schema: { params: IdParams, body: schema }, attachValidation: true }, async (request) => ({ errors: formErrors(request) ?? null }));
  };
  await app.register(routes);
  return app;
}

const id = 'a'.repeat(24);
// zod's own English: "Invalid input: expected string, received undefined", "Too small: expected ...".
const english = /\b(invalid|expected|received|too (small|big)|required|must|string|number|array)\b/i;

t.test('a failed form gives one Chinese message per field; a passing one none', async (t) => {
  const app = await appWith(z.object({ name: z.string().min(2, '请填写名称'), amount: z.coerce.number().min(0) }));
  t.teardown(() => app.close());
  const bad = await app.inject({ method: 'POST', url: `/things/${id}`, payload: 'amount=-1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(bad.statusCode, 200);
  t.same(bad.json().errors, { name: '此项必填', amount: '不能小于 0' });
  const good = await app.inject({ method: 'POST', url: `/things/${id}`, payload: 'name=张三&amount=3', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.same(good.json().errors, null);
});

t.test('a malformed id in a page address is a 404, not a form error', async (t) => {
  const app = await appWith(z.object({}));
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/things/not-an-id', payload: {} });
  t.equal(res.statusCode, 404);
  t.match(res.json().message, /不存在/);
});

t.test('no English zod message reaches a person from the page forms', async (t) => {
  const garbage: unknown[] = [
    {}, { name: ['a', 'b'], email: 'x', password: '1', priceMin: '-5', priceMax: 'abc', energyGrade: '9', category: 'nope' },
    { to: 'nowhere', amountYuan: 'abc', closedAs: 'maybe', reason: '', page: '-1', pageSize: 'x', level: 'moon', status: 'weird' },
    { 'contact.email': 'no', website: 'ftp://x', 'qualifications.0.certification': 'zz', 'qualifications.0.validFrom': 'soon', 'specs.0.key': 'k' },
  ];
  for (const [name, schema] of Object.entries(forms)) {
    for (const body of garbage) {
      const result = schema.safeParse(body);
      for (const issue of result.success ? [] : result.error.issues) {
        t.ok(/[\u4e00-\u9fff]/.test(issue.message) && !english.test(issue.message), `${name} ${issue.path.join('.')}: ${issue.message}`);
      }
    }
  }
});

t.test('a page names its own missing thing; submitForm adds the service refusal to the form errors', async (t) => {
  const app = Fastify();
  app.setValidatorCompiler(safeValidatorCompiler);
  app.setErrorHandler(async (err, _request, reply) => reply.code(err instanceof AppError ? err.statusCode : 500).send({ message: (err as Error).message }));
  await app.register(fastifyFormbody);
  const routes: FastifyPluginAsyncZod = async (r) => {
    r.post('/events/:id', { schema: { params: IdParams, body: z.object({ name: z.string().min(1, '请填写名称') }) }, attachValidation: true }, async (request) => {
      formErrors(request, '未找到该对接会。');
      const errors = await submitForm(request, async () => {
        if (request.body.name === '重名') throw badRequest('名称已被使用。', [{ path: 'name', message: '换一个名称' }]);
      });
      return { errors: errors ?? null };
    });
  };
  await app.register(routes);
  t.teardown(() => app.close());
  const post = (url: string, payload: string) => app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  t.same((await post(`/events/${id}`, 'name=张三')).json().errors, null, 'passed and done: no errors');
  t.same((await post(`/events/${id}`, 'name=')).json().errors, { name: '请填写名称' }, 'the form\'s own errors');
  t.same((await post(`/events/${id}`, 'name=重名')).json().errors, { _form: '名称已被使用。', name: '换一个名称' }, 'the service refusal by field');
  const missing = await post('/events/nope', 'name=张三');
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().message, '未找到该对接会。', 'a bad address is the page\'s own 404, before the action runs');
});

