/**
 * The check-in desk's two routes, for 对接会 and 调研考察 alike: GET shows the desk, and the form post
 * marks a typed or scanned code's holder arrived (counted once), tells the desk who, and re-renders the
 * desk with the reason when the code is refused.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ObjectIdParam, STAFF_ROLES } from '../accounts/index.js';
import { formErrors, readForm } from '../web/forms.js';
import { checkInFlash, type ScanResult } from './checkin.js';
import { CheckInCodeForm } from './forms.js';

type DeskState = { error?: string; code?: string; status?: number };

export interface CheckInDesk {
  /** The desk's address, with `:id` for the event or visit. */
  path: string;
  /** The audit action of a scan. */
  audit: string;
  /** Said when the id in the address is malformed. */
  missing: string;
  /** Marks the code's holder arrived. */
  scan: (request: FastifyRequest, id: string, code: string) => Promise<Pick<ScanResult, 'firstScan' | 'arrived' | 'expected'> & { participant: { name: string } }>;
  /** A refusal the desk can show (a 4xx), or rethrows. */
  explain: (err: unknown) => { status: number; message: string };
  /** Renders the desk, with an error and the code as typed after a refusal. */
  render: (request: FastifyRequest, reply: FastifyReply, id: string, state?: DeskState) => Promise<unknown>;
}

export function checkInDesk(fastify: FastifyInstance, desk: CheckInDesk): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const params = z.object({ id: ObjectIdParam });
  const access = STAFF_ROLES;

  app.get(desk.path, { config: { access }, schema: { params }, attachValidation: true }, async (request, reply) => {
    formErrors(request, desk.missing);
    return desk.render(request, reply, request.params.id);
  });

  app.post(desk.path, { config: { access, audit: desk.audit }, schema: { params, body: CheckInCodeForm.schema }, attachValidation: true }, async (request, reply) => {
    const id = request.params.id;
    const form = readForm(request, CheckInCodeForm, desk.missing);
    if (!form.ok) return desk.render(request, reply, id, { error: form.errors.code ?? '请输入签到码', code: form.values.code, status: 400 });
    try {
      request.flash(...checkInFlash(await desk.scan(request, id, form.input.code)));
      return reply.redirect(desk.path.replace(':id', id), 303);
    } catch (err) {
      const e = desk.explain(err);
      return desk.render(request, reply, id, { error: e.message, code: form.values.code, status: e.status });
    }
  });
}
