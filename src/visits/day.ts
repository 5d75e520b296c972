/**
 * The visit day's pages (organizers), as for the 对接会: the check-in page (/organizer/visits/:id/check-in:
 * the running count, the camera scanner with its offline queue, public/js/checkin.js through
 * views/partials/checkin-scanner.hbs, and the typed-code form that works without JavaScript) and the
 * printable badges (/organizer/visits/:id/badges: 名牌 with name, organization, role and the check-in QR,
 * eight to an A4 sheet, built by the 对接会's badgeSheets).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STAFF_ROLES, requireUser } from '../accounts/index.js';
import { badgeSheets, checkInDesk, checkInLists, qrDataUrl } from '../events/index.js';
import { formErrors } from '../web/forms.js';
import { VisitParams, visitMissing } from './forms.js';
import { messageOf, visitView } from './pages.js';
import { kindNames } from './schemas.js';
import type { RegistrationLean, VisitLean } from './service.js';

const access = { access: STAFF_ROLES };
/** Phases in which the day happens (check-in), as the service has them. */
const dayPhases = ['registration', 'confirmed', 'finished'];
const role = (r: RegistrationLean) => (r.officials ? '采购方 · 有随行领导' : '采购方');

/** The check-in page's context: counts, who arrived (latest first), who is still expected. */
export function visitCheckInView(visit: VisitLean, approved: RegistrationLean[], state: { error?: string; code?: string } = {}) {
  const row = (r: RegistrationLean) => ({
    id: String(r._id), name: r.name, kindName: `采购方 · ${r.people ?? 1} 人`, contactName: r.contactName ?? '', at: r.checkInAt ?? null, noShow: r.checkIn === 'no_show',
  });
  return {
    title: `扫码签到 · ${visit.title}`,
    visit: visitView(visit),
    open: dayPhases.includes(visit.phase),
    ...checkInLists(approved, row, state),
  };
}

const visitDay: FastifyPluginAsyncZod = async (app) => {
  const approvedOf = (visit: VisitLean) =>
    app.models.VisitRegistration.find({ visit: visit._id, status: 'approved' }).sort({ name: 1, _id: 1 }).lean<RegistrationLean[]>();

  async function renderCheckIn(request: FastifyRequest, reply: FastifyReply, id: string, state: { error?: string; code?: string; status?: number } = {}) {
    const visit = await app.visits.staffVisit(requireUser(request), id);
    return reply.code(state.status ?? 200).page('visits/checkin.hbs', visitCheckInView(visit, await approvedOf(visit), state));
  }

  checkInDesk(app, {
    path: '/organizer/visits/:id/check-in', audit: 'visit.check-in', missing: visitMissing, explain: messageOf, render: renderCheckIn,
    scan: (request, id, code) => app.visits.checkIn(requireUser(request), id, code),
  });

  app.get('/organizer/visits/:id/badges', { config: access, schema: { params: VisitParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, visitMissing);
    const visit = await app.visits.staffVisit(requireUser(request), request.params.id);
    const approved = (await approvedOf(visit)).filter((r) => r.checkInCode);
    const { sheets, count } = badgeSheets(await Promise.all(approved.map(async (r) => ({
      heading: `${kindNames[visit.kind]} · ${visit.title}`, person: r.contactName ?? '', organization: r.name, kind: 'buyer', role: role(r),
      code: r.checkInCode!, qr: await qrDataUrl(r.checkInCode!),
    }))));
    return reply.page('visits/badges.hbs', { title: `名牌 · ${visit.title}`, visit: visitView(visit), sheets, count });
  });
};

export default visitDay;
