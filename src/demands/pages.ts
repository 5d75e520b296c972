/**
 * Demand pages (no JavaScript needed): the buyer's workbench (/buyer), the post-a-demand form
 * (/demands/new), a demand with its matches, reasons and follow-up buttons (/demands/:id), editing, the
 * lifecycle buttons, and the organizers' demand board (/organizer/demands).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { STAFF_ROLES, isStaff, requireUser, type CurrentUser } from '../accounts/index.js';
import { certificationName, fieldName, taxonomy } from '../taxonomy/index.js';
import { errorsFrom, formErrors, IdParams, type FieldErrors } from '../web/forms.js';
import { isoDay, requiredFields } from '../web/forms.js';
import { followUpPartial } from '../followups/index.js';
import type { MatchResult } from '../matching/index.js';
import {
  actionNames, closedAsNames, CloseBody, DemandInput, DemandListQuery, DemandUpdate, statusNames,
} from './schemas.js';
import { allowedTransitions, canManage, type DemandDoc, type OrgDoc, type Transition } from './service.js';
import { demandStatuses } from './model.js';
import { buyerLevelNames, buyerLevels, buyerTypeNames, buyerTypes } from '../buyers/index.js';

const managers = ['buyer', 'organizer', 'admin'] as const;
const staff = STAFF_ROLES;
const categoryNames = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => [c.code, c.name] as const)));

type Obj = Record<string, unknown>;
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);
const text = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The posted form, shaped for DemandInput; the buyer only when the form has its fields (staff posting). */
export function demandFormInput(body: unknown): Obj {
  const b = (body && typeof body === 'object' ? body : {}) as Obj;
  const input: Obj = {
    title: text(b.title) ?? '', description: text(b.description) ?? '', field: text(b.field), category: text(b.category),
    quantity: text(b.quantity), unit: text(b.unit), budgetYuan: text(b.budgetYuan), deadline: text(b.deadline),
    requiredCertifications: list(b.requiredCertifications), preferredCertifications: list(b.preferredCertifications),
    privateNotes: text(b.privateNotes),
  };
  if (b.status === 'draft' || b.status === 'open') input.status = b.status;
  if (Object.keys(b).some((k) => k.startsWith('buyer.'))) {
    input.buyer = {
      name: text(b['buyer.name']) ?? '', type: text(b['buyer.type']) || undefined, level: text(b['buyer.level']) || undefined,
      province: text(b['buyer.province']) ?? '', city: text(b['buyer.city']), district: text(b['buyer.district']),
    };
  }
  return input;
}

const NewDemandForm = z.preprocess(demandFormInput, DemandInput);
const EditDemandForm = z.preprocess(demandFormInput, DemandUpdate);
/** Only staff post on a buyer's behalf: a buyer's form has no buyer fields, and a crafted one is ignored. */
const ownForm = (user: CurrentUser, values: Obj): Obj => (isStaff(user) ? values : { ...values, buyer: undefined });

/** View model of the demand form, from a stored demand or from what was posted. */
function formView(values: Obj, errors: FieldErrors = {}) {
  const required = new Set(list(values.requiredCertifications));
  const preferred = new Set(list(values.preferredCertifications));
  const buyer = (values.buyer ?? {}) as Obj;
  return {
    values: {
      ...values,
      deadline: values.deadline instanceof Date ? isoDay(values.deadline) : values.deadline,
      buyer: { province: '浙江省', ...buyer },
    },
    errors,
    fieldOptions: taxonomy.fields.map((f) => ({ code: f.code, name: f.name, selected: f.code === values.field })),
    categoryGroups: taxonomy.fields.map((f) => ({
      name: f.name,
      options: f.categories.map((c) => ({ code: c.code, name: c.name, selected: c.code === values.category })),
    })),
    requiredOptions: taxonomy.certifications.map((c) => ({ code: c.code, name: c.name, checked: required.has(c.code) })),
    preferredOptions: taxonomy.certifications.map((c) => ({ code: c.code, name: c.name, checked: preferred.has(c.code) })),
    typeOptions: buyerTypes.map((t) => ({ code: t, name: buyerTypeNames[t], selected: t === buyer.type })),
    levelOptions: buyerLevels.map((l) => ({ code: l, name: buyerLevelNames[l], selected: l === buyer.level })),
  };
}

function orgView(org: OrgDoc | null | undefined) {
  if (!org) return null;
  return {
    id: String(org._id), name: org.name, typeName: buyerTypeNames[org.type] ?? org.type, levelName: buyerLevelNames[org.level] ?? org.level,
    region: [org.province, org.city, org.district].filter(Boolean).join(''),
    level: org.level, province: org.province, city: org.city, district: org.district,
  };
}

function summary(d: DemandDoc) {
  return {
    id: String(d._id),
    title: d.title,
    fieldName: d.field ? fieldName(d.field) : '',
    categoryName: d.category ? categoryNames.get(d.category) ?? d.category : '',
    quantity: d.quantity,
    unit: d.unit,
    budgetYuan: d.budgetYuan,
    deadline: d.deadline,
    status: d.status,
    statusName: statusNames[d.status] ?? d.status,
    closedAsName: d.closedAs ? closedAsNames[d.closedAs] ?? d.closedAs : '',
    createdAt: d.createdAt,
  };
}

const transitionLabels: Record<Transition, string> = { open: '开放征集', start: '开始对接', close: '关闭需求' };

const demandPages: FastifyPluginAsyncZod = async (app) => {
  const service = () => app.demands;

  async function renderForm(request: FastifyRequest, reply: FastifyReply, values: Obj, errors: FieldErrors = {}, status = 200) {
    const user = requireUser(request);
    const org = user.role === 'buyer' && user.buyerOrgId ? await service().org(user.buyerOrgId) : null;
    const orgNames = isStaff(user) ? await app.buyers.names(500) : [];
    reply.code(status);
    return reply.page('demands/form.hbs', {
      title: '发布需求', heading: '发布采购需求', action: '/demands/new', isNew: true,
      staffPosting: isStaff(user), org: orgView(org), orgNames, ...formView(values, errors),
      // The * marks, from the form's schema; an organizer posting for a buyer names the buyer too.
      required: { ...requiredFields(NewDemandForm), ...(isStaff(user) ? { 'buyer.name': true } : {}) },
    });
  }

  // ---- buyer workbench ----
  app.get('/buyer', { config: { access: ['buyer'] } }, async (request, reply) => {
    const org = requireUser(request).buyerOrgId ? await service().org(requireUser(request).buyerOrgId) : null;
    const demands = org ? await service().ofOrg(org._id) : [];
    const fu = await app.followUps.countsByDemand(demands.map((d) => d._id));
    // Matches for the active demands (the engine is fast; a failure only hides the count).
    const active = demands.filter((d) => d.status === 'open' || d.status === 'in_progress').slice(0, 30);
    const matchCounts = new Map<string, number | null>();
    await Promise.all(active.map(async (d) => {
      try {
        matchCounts.set(String(d._id), (await app.matching.matchDemandById(String(d._id), { limit: 20 })).length);
      } catch {
        matchCounts.set(String(d._id), null);
      }
    }));
    const counts = Object.fromEntries(demandStatuses.map((s) => [s, demands.filter((d) => d.status === s).length]));
    return reply.page('dashboards/buyer.hbs', {
      title: '我的采购',
      org: orgView(org),
      counts,
      demands: demands.map((d) => {
        const f = fu.get(String(d._id)) ?? {};
        const total = Object.values(f).reduce((a, b) => a + b, 0);
        const id = String(d._id);
        return {
          ...summary(d),
          matches: matchCounts.has(id) ? matchCounts.get(id) : undefined,
          matchesKnown: matchCounts.has(id) && matchCounts.get(id) !== null,
          followUps: total, intent: f.intent ?? 0, signed: f.signed ?? 0,
        };
      }),
    });
  });

  // ---- post a demand ----
  app.get('/demands/new', { config: { access: managers } }, async (request, reply) => {
    if (requireUser(request).role === 'buyer' && !requireUser(request).buyerOrgId) {
      request.flash('error', '您的账号尚未关联采购单位，请联系主办方。');
      return reply.redirect('/buyer', 303);
    }
    return renderForm(request, reply, {});
  });

  app.post('/demands/new', {
    config: { access: managers }, schema: { body: NewDemandForm }, attachValidation: true,
    // Staff post on a buyer's behalf: their form always names the buyer, so leaving it out is an error by the field.
    preValidation: async (request) => {
      const body = request.body as Obj | undefined;
      if (isStaff(request.user) && body && typeof body === 'object' && !Object.keys(body).some((k) => k.startsWith('buyer.'))) body['buyer.name'] = '';
    },
  }, async (request, reply) => {
    const user = requireUser(request);
    const errors = formErrors(request);
    if (errors) return renderForm(request, reply, ownForm(user, demandFormInput(request.body)), { _form: '请按提示修改后再提交。', ...errors }, 400);
    const values = ownForm(user, request.body) as DemandInput;
    try {
      const demand = await service().create(user, values);
      request.flash('success', demand.status === 'draft' ? '需求已保存为草稿。确认无误后点击“开放征集”。' : '需求已发布，下方是为您匹配的供应商。');
      return reply.redirect(`/demands/${String(demand._id)}`, 303);
    } catch (err) {
      return renderForm(request, reply, values, errorsFrom(err), 400);
    }
  });

  // ---- a demand ----
  app.get('/demands/:id', { config: { access: 'user' }, schema: { params: IdParams } }, async (request, reply) => {
    const user = requireUser(request);
    const demand = await service().visible(user, request.params.id);
    const manager = canManage(user, demand);
    const org = await service().org(demand.buyerOrg);
    const id = String(demand._id);

    let matches: MatchResult[] = [];
    let unavailable = false;
    try {
      matches = await app.matching.matchDemandById(id, { limit: 20 });
    } catch (err) {
      request.log.warn({ err }, '匹配暂不可用');
      unavailable = true;
    }
    // A vendor sees its own entry only: the other vendors on the list are the buyer's business.
    if (!manager) matches = matches.filter((m) => m.vendor.id === user.vendorId);
    const followUps = await app.followUps.get(id, matches.map((m) => m.vendor.id));
    const demandRef = { id, buyerOrg: demand.buyerOrg, status: demand.status };
    const matchViews = matches.map((m, i) => ({
      rank: i + 1,
      vendor: m.vendor,
      products: m.products,
      percent: Math.round(m.score * 100),
      reasons: m.reasons.filter((r) => r.text),
      followUp: followUpPartial(user, demandRef, m.vendor.id, followUps.get(m.vendor.id), { back: `/demands/${id}#m-${m.vendor.id}` }),
    }));
    // A vendor with a follow-up but no longer in the top matches still sees its own row.
    const ownFollowUp = !manager && user.vendorId && !matches.length
      ? (await app.followUps.get(id, [user.vendorId])).get(user.vendorId) : undefined;

    // The conversations with the interested vendors (a vendor: its own), from src/threads.
    const threads = demand.status === 'draft' ? [] : await app.threads.listForDemand(user, id).catch(() => []);
    const actions = allowedTransitions(user, demand).map((t) => ({ action: t, label: transitionLabels[t], close: t === 'close', fulfilledAllowed: demand.status !== 'draft' }));
    return reply.page('demands/show.hbs', {
      title: demand.title,
      demand: {
        ...summary(demand),
        description: demand.description,
        required: (demand.requiredCertifications ?? []).map(certificationName),
        preferred: (demand.preferredCertifications ?? []).map(certificationName),
        closeReason: demand.closeReason,
        closedAt: demand.closedAt,
        privateNotes: manager ? demand.privateNotes : undefined,
        sourceName: demand.source === 'import' ? '清单导入' : demand.source === 'organizer' ? '主办方代发' : '采购方发布',
        postedBy: manager ? demand.postedBy : undefined,
      },
      org: orgView(org),
      manager,
      editable: manager && demand.status !== 'closed',
      actions,
      history: manager
        ? (demand.history ?? []).map((h) => ({
          ...h,
          actionName: actionNames[h.action] ?? h.action,
          fromName: h.from ? statusNames[h.from] ?? h.from : '',
          toName: h.to ? statusNames[h.to] ?? h.to : '',
          closedAsName: h.closedAs ? closedAsNames[h.closedAs] ?? h.closedAs : '',
          fieldNames: (h.fields ?? []).map((f: string) => ({ title: '标题', description: '描述', field: '领域', category: '类别', quantity: '数量', unit: '单位', budgetYuan: '预算', requiredCertifications: '必需认证', preferredCertifications: '优选认证', deadline: '截止日期', privateNotes: '内部备注' } as Record<string, string>)[f] ?? f).join('、'),
        })).reverse()
        : [],
      matches: matchViews,
      ownFollowUp: ownFollowUp && user.vendorId ? followUpPartial(user, demandRef, user.vendorId, ownFollowUp, { back: `/demands/${id}` }) : null,
      unavailable,
      isVendor: user.role === 'vendor',
      threads,
    });
  });

  // ---- edit ----
  app.get('/demands/:id/edit', { config: { access: managers }, schema: { params: IdParams } }, async (request, reply) => {
    const demand = await service().manageable(requireUser(request), request.params.id);
    if (demand.status === 'closed') {
      request.flash('error', '需求已关闭，不能再修改。');
      return reply.redirect(`/demands/${request.params.id}`, 303);
    }
    return renderEdit(reply, demand, demand as unknown as Obj);
  });

  async function renderEdit(reply: FastifyReply, demand: DemandDoc, values: Obj, errors: FieldErrors = {}, status = 200) {
    const org = await service().org(demand.buyerOrg);
    reply.code(status);
    return reply.page('demands/form.hbs', {
      title: `修改需求 · ${demand.title}`, heading: '修改采购需求', action: `/demands/${String(demand._id)}/edit`,
      isNew: false, demandId: String(demand._id), org: orgView(org), ...formView(values, errors), required: requiredFields(NewDemandForm),
    });
  }

  app.post('/demands/:id/edit', {
    config: { access: managers }, schema: { params: IdParams, body: EditDemandForm }, attachValidation: true,
  }, async (request, reply) => {
    const errors = formErrors(request);
    const demand = await service().manageable(requireUser(request), request.params.id);
    if (errors) return renderEdit(reply, demand, { ...demandFormInput(request.body), buyer: undefined }, { _form: '请按提示修改后再提交。', ...errors }, 400);
    try {
      await service().update(requireUser(request), request.params.id, request.body);
      request.flash('success', '需求已保存。');
      return reply.redirect(`/demands/${request.params.id}`, 303);
    } catch (err) {
      return renderEdit(reply, demand, request.body, errorsFrom(err), 400);
    }
  });

  // ---- lifecycle buttons ----
  for (const action of ['open', 'start', 'close'] as const) {
    app.post(`/demands/:id/${action}`, {
      config: { access: managers }, schema: { params: IdParams, ...(action === 'close' ? { body: CloseBody } : {}) }, attachValidation: true,
    }, async (request, reply) => {
      const errors = formErrors(request);
      const id = request.params.id;
      if (errors) {
        // The id is checked first, so nobody learns of a demand through this message.
        await service().manageable(requireUser(request), id);
        request.flash('error', `未能关闭需求：${Object.values(errors).join('；')}`);
        return reply.redirect(`/demands/${id}#close`, 303);
      }
      const body = action === 'close' ? (request.body as CloseBody) : undefined;
      try {
        await service().transition(requireUser(request), id, action, body);
      } catch (err) {
        const errors = errorsFrom(err);
        if ((err as { statusCode?: number }).statusCode === 404) throw err;
        request.flash('error', errors._form);
        return reply.redirect(`/demands/${id}`, 303);
      }
      const done: Record<typeof action, string> = { open: '需求已开放征集。', start: '需求已进入对接阶段。', close: '需求已关闭。' };
      request.flash('success', done[action]);
      return reply.redirect(`/demands/${id}`, 303);
    });
  }

  // ---- organizer board ----
  app.get('/organizer/demands', { config: { access: staff }, schema: { querystring: DemandListQuery }, attachValidation: true }, async (request, reply) => {
    const errors = formErrors(request);
    const query: DemandListQuery = errors ? { page: 1, pageSize: 20 } : request.query;
    const user = requireUser(request);
    const [result, counts, { cities, districts }] = await Promise.all([
      service().list(user, query),
      service().statusCounts(user, query),
      app.buyers.regions(),
    ]);
    const keep = (extra: Obj) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...query, ...extra })) {
        if (v !== undefined && v !== '' && k !== 'pageSize' && !(k === 'page' && v === 1)) params.set(k, String(v));
      }
      const s = params.toString();
      return s ? `/organizer/demands?${s}` : '/organizer/demands';
    };
    const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
    const countTotal = Object.values(counts).reduce((a, b) => a + b, 0);
    return reply.page('demands/board.hbs', {
      title: '采购需求',
      error: errors ? `筛选条件有误：${Object.values(errors).join('；')}` : undefined,
      query,
      total: result.total,
      statusTabs: [
        { label: '全部', n: countTotal, href: keep({ status: undefined, page: 1 }), current: !query.status },
        ...demandStatuses.map((s) => ({ label: statusNames[s], n: counts[s] ?? 0, href: keep({ status: s, page: 1 }), current: query.status === s })),
      ],
      levelOptions: buyerLevels.map((l) => ({ code: l, name: buyerLevelNames[l], selected: l === query.level })),
      fieldOptions: taxonomy.fields.map((f) => ({ code: f.code, name: f.name, selected: f.code === query.field })),
      statusOptions: demandStatuses.map((s) => ({ code: s, name: statusNames[s], selected: s === query.status })),
      cityOptions: (cities as unknown[]).filter((c): c is string => typeof c === 'string' && !!c).sort().map((c) => ({ name: c, selected: c === query.city })),
      districtOptions: (districts as unknown[]).filter((c): c is string => typeof c === 'string' && !!c).sort().map((c) => ({ name: c, selected: c === query.district })),
      rows: result.items.map(({ demand, org }) => ({ ...summary(demand), org: orgView(org) })),
      page: result.page,
      pages,
      prev: result.page > 1 ? keep({ page: result.page - 1 }) : null,
      next: result.page < pages ? keep({ page: result.page + 1 }) : null,
    });
  });
};
export default demandPages;
