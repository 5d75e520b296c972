/**
 * The event day's pages (organizers): the check-in page (/organizer/events/:id/check-in: a form that works
 * without JavaScript, and with it a camera scanner, public/js/checkin.js, with an offline queue), the
 * printable badges (/badges), a table's meetings (/tables/:n, where the table card's QR leads), and the
 * publish preview (/publish: who will be told what, then confirm). Also serves the jsQR decoder the
 * scanner falls back to where the browser has no BarcodeDetector, from node_modules (no CDN).
 */
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STAFF_ROLES, requireUser } from '../accounts/index.js';
import { conflict, notFound } from '../web/errors.js';
import { formErrors, readForm } from '../web/forms.js';
import { qrDataUrl } from './checkin.js';
import { checkInDesk } from './checkin-desk.js';
import { badgesView, checkInView, publishPreviewView, tableView } from './day-view.js';
import { EventParams, PublishForm, TableParams, eventMissing } from './forms.js';
import { messageOf } from './pages-view.js';
import type { ParticipantLean } from './service.js';

const access = { access: STAFF_ROLES };
const jsQrFile = path.join(path.dirname(createRequire(import.meta.url).resolve('jsqr')), 'jsQR.js');

const dayPages: FastifyPluginAsyncZod = async (app) => {
  const checkIns = () => app.eventMeetings.checkIns;

  app.get('/public/vendor/jsQR.js', { config: { access: 'public' } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(await fs.readFile(jsQrFile)));

  // ---- check-in ----
  async function renderCheckIn(request: FastifyRequest, reply: FastifyReply, id: string, state: { error?: string; code?: string; status?: number } = {}) {
    const event = await app.events.staffEvent(requireUser(request), id);
    await checkIns().ensureCodes(event._id);
    const participants = await app.models.EventParticipant.find({ event: event._id, status: 'approved' }).lean<ParticipantLean[]>();
    return reply.code(state.status ?? 200).page('events/checkin.hbs', checkInView(event, participants, state));
  }

  checkInDesk(app, {
    path: '/organizer/events/:id/check-in', audit: 'event.check-in', missing: eventMissing, explain: messageOf, render: renderCheckIn,
    scan: async (request, id, code) => checkIns().scan(requireUser(request), await app.events.load(id), code),
  });

  // ---- badges ----
  app.get('/organizer/events/:id/badges', { config: access, schema: { params: EventParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, eventMissing);
    const event = await app.events.staffEvent(requireUser(request), request.params.id);
    await checkIns().ensureCodes(event._id);
    const participants = await app.models.EventParticipant.find({ event: event._id, status: 'approved' }).sort({ kind: 1, name: 1 }).lean<ParticipantLean[]>();
    const badges = await Promise.all(participants.filter((p) => p.checkInCode).map(async (p) => ({ participant: p, code: p.checkInCode!, qr: await qrDataUrl(p.checkInCode!) })));
    return reply.page('events/badges.hbs', badgesView(event, badges));
  });

  // ---- a table's meetings ----
  app.get('/organizer/events/:id/tables/:table', { config: access, schema: { params: TableParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, '未找到该洽谈桌。');
    const { event, meetings } = await app.eventMeetings.current(requireUser(request), request.params.id);
    if (request.params.table > event.tables) throw notFound(`未找到该洽谈桌：本场共 ${event.tables} 张洽谈桌。`);
    return reply.page('events/table.hbs', tableView(event, request.params.table, meetings, await app.events.names(event._id)));
  });

  // ---- publishing with a preview ----
  async function renderPreview(request: FastifyRequest, reply: FastifyReply, id: string, state: { error?: string; status?: number } = {}) {
    const preview = await app.eventMeetings.publishPreview(requireUser(request), id);
    return reply.code(state.status ?? 200).page('events/publish.hbs', publishPreviewView(preview.event, preview, state));
  }

  app.get('/organizer/events/:id/publish', { config: access, schema: { params: EventParams }, attachValidation: true }, async (request, reply) => {
    formErrors(request, eventMissing);
    return renderPreview(request, reply, request.params.id);
  });

  /** Confirms a preview: publishing (scheduling → published; audited as 发布对接会日程) or announcing later changes. */
  function confirm(announce: boolean) {
    return async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const id = request.params.id;
      const form = readForm(request, PublishForm, eventMissing);
      if (!form.ok) return renderPreview(request, reply, id, { error: '预览已失效，请核对下面的列表后再确认。', status: 400 });
      const user = requireUser(request);
      try {
        const event = await app.events.load(id);
        if (form.input.revision !== (event.revision ?? 0)) throw conflict('日程在您查看预览后又有改动，下面是最新的预览，请核对后再确认。');
        if (announce) {
          const { told } = await app.eventMeetings.announce(user, id, form.input.revision);
          request.flash('success', `已通知 ${told} 家参会方日程变动。`);
        } else {
          await app.events.transition(user, id, 'published');
          request.flash('success', '日程已发布，参会方已收到通知。');
        }
        return reply.redirect(`/organizer/events/${id}#phase`, 303);
      } catch (err) {
        const e = messageOf(err);
        return renderPreview(request, reply, id, { error: e.message, status: e.status });
      }
    };
  }

  // The form also posts to=published, which the audit trail reads (event.phase → event.publish).
  app.post('/organizer/events/:id/publish', {
    config: { ...access, audit: 'event.phase' }, schema: { params: EventParams, body: PublishForm.schema }, attachValidation: true,
  }, confirm(false));
  app.post('/organizer/events/:id/announce', { config: { ...access, audit: 'event.announce' }, schema: { params: EventParams, body: PublishForm.schema }, attachValidation: true }, confirm(true));
};

export default dayPages;
