/** The follow-up buttons' form post: moves the follow-up, then back to the page with a flash. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../web/errors.js';
import { formErrors, ObjectIdText } from '../web/forms.js';
import { MoveForm } from './schemas.js';
import { statusNames, targetStatus } from './state.js';
import { requireUser } from '../accounts/index.js';

// Only these pages are returned to (no open redirect).
const backPattern = /^\/(vendor\/opportunities|demands\/[0-9a-f]{24}|organizer\/follow-ups)(#[\w-]+)?$/;

const followUpPages: FastifyPluginAsyncZod = async (app) => {
  app.post('/demands/:demandId/follow-up/:vendorId', {
    config: { access: 'user' },
    schema: { params: z.object({ demandId: ObjectIdText, vendorId: ObjectIdText }), body: MoveForm },
    attachValidation: true,
  }, async (request, reply) => {
    const errors = formErrors(request);
    const { demandId, vendorId } = request.params;
    const posted = (request.body ?? {}) as Record<string, unknown>;
    const back = typeof posted.back === 'string' && backPattern.test(posted.back) ? posted.back : `/demands/${demandId}`;
    if (errors) {
      request.flash('error', Object.values(errors)[0] ?? '提交的内容有误。');
      return reply.redirect(back, 303);
    }
    const { to, from, note, reason, amountYuan } = request.body;
    try {
      await app.followUps.advance(requireUser(request), demandId, vendorId, { to, from, note, reason, amountYuan });
      request.flash('success', `已将对接标记为“${statusNames[targetStatus(to)]}”。`);
    } catch (err) {
      // Someone else's demand or company stays a 404 page; refusals come back as a message on the page.
      if (!(err instanceof AppError) || err.statusCode === 404 || err.statusCode >= 500) throw err;
      request.flash('error', err.details?.[0]?.message ?? err.message);
    }
    return reply.redirect(back, 303);
  });
};
export default followUpPages;
