/**
 * Demands through their lifecycle: draft → open → in_progress → closed (fulfilled, cancelled, or expired
 * past the deadline). Every transition and edit is appended to the demand's history in the same write
 * that makes it, guarded by the status it starts from, so two people acting at once cannot both win.
 * Who sees what: buyers their own organization's demands, vendors open demands (never private notes),
 * organizers and admins everything.
 */
import { Types, type ClientSession, type Connection } from 'mongoose';
import { actorOf, isStaff, type CurrentUser } from '../accounts/index.js';
import type { Models } from '../infra/models.js';
import { badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import { present } from '../web/present.js';
import type { DemandStatus } from './model.js';
import type { BuyerInput, BuyerService, OrgDoc } from '../buyers/index.js';
import {
  editableFields, statusNames, type CloseBody, type DemandFields, type DemandInput, type DemandListQuery,
} from './schemas.js';

export interface Actor { id: string; name: string; role: string }
export const systemActor: Actor = { id: 'system', name: '系统', role: 'system' };


type Lean<T> = T & { _id: Types.ObjectId; createdAt?: Date; updatedAt?: Date };
export type DemandDoc = Lean<import('./model.js').Demand>;
export type { OrgDoc };

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Which transitions exist, from which statuses. */
const transitions = {
  open: { from: ['draft'] as DemandStatus[], to: 'open' as DemandStatus },
  start: { from: ['open'] as DemandStatus[], to: 'in_progress' as DemandStatus },
  close: { from: ['draft', 'open', 'in_progress'] as DemandStatus[], to: 'closed' as DemandStatus },
};
export type Transition = keyof typeof transitions;

/** The transitions this user may make on this demand now (for buttons and for the API's checks). */
export function allowedTransitions(user: CurrentUser | null, demand: { status: string; buyerOrg: unknown }): Transition[] {
  if (!user || !canManage(user, demand)) return [];
  return (Object.keys(transitions) as Transition[]).filter((t) => transitions[t].from.includes(demand.status as DemandStatus));
}

/** Buyers manage their own organization's demands; organizers and admins manage all. */
export function canManage(user: CurrentUser, demand: { buyerOrg: unknown }): boolean {
  if (isStaff(user)) return true;
  return user.role === 'buyer' && !!user.buyerOrgId && String(demand.buyerOrg) === user.buyerOrgId;
}

const sameValue = (a: unknown, b: unknown) => {
  const norm = (v: unknown) => (v === null || v === undefined || v === '' ? undefined : v instanceof Date ? v.getTime() : Array.isArray(v) ? JSON.stringify(v) : v);
  return norm(a) === norm(b);
};

/** The fields that differ between a stored demand and new values (for history and no-op detection). */
export function changedFields(before: Record<string, unknown>, next: Record<string, unknown>): string[] {
  return editableFields.filter((f) => f in next && !sameValue(before[f], next[f]));
}

/** $set for present values, $unset for cleared ones. */
export function updateOf(next: Record<string, unknown>, fields: readonly string[]) {
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  for (const f of fields) {
    const v = next[f];
    if (v === undefined || v === null || v === '') {
      if (f === 'description') $set[f] = '';
      else if (f === 'requiredCertifications' || f === 'preferredCertifications') $set[f] = [];
      else $unset[f] = '';
    } else $set[f] = v;
  }
  return { $set, $unset };
}

export interface DemandServiceOptions {
  conn: Connection;
  models: Models;
  clock: () => Date;
  buyers: BuyerService;
  /** Called in the write's transaction when a demand becomes open (vendors that match it hear of it). */
  onOpened?: (demandId: string, session: ClientSession) => Promise<unknown>;
  /** Whether a vendor already follows this demand up (it then keeps seeing it after it leaves 'open'). */
  vendorFollows?: (demandId: string, vendorId: string) => Promise<boolean>;
}

export type DemandService = ReturnType<typeof createDemandService>;

export function createDemandService(options: DemandServiceOptions) {
  const { conn, models, clock, buyers } = options;
  const { Demand } = models;

  const opened = async (id: Types.ObjectId | string, session: ClientSession) => {
    await options.onOpened?.(String(id), session);
  };

  function assertFutureDeadline(deadline: Date | undefined | null, path = 'deadline') {
    if (deadline && deadline.getTime() < clock().getTime()) {
      throw badRequest('截止日期已过，请填写今天或以后的日期。', [{ path, message: '截止日期不能早于今天' }]);
    }
  }

  /** Finds the organization by its exact name, or creates it; never changes an existing one. */
  const orgByName = (buyer: BuyerInput, session?: ClientSession): Promise<OrgDoc> => buyers.resolve(buyer, session);

  /** The organization a user posts for: a buyer's own; staff name one (found or created). */
  async function orgFor(user: CurrentUser, buyer: BuyerInput | undefined, session?: ClientSession): Promise<OrgDoc> {
    if (user.role === 'buyer') {
      const org = user.buyerOrgId ? await buyers.findById(user.buyerOrgId, session) : null;
      if (!org) throw forbidden('您的账号尚未关联采购单位，请联系主办方。');
      if (buyer && buyer.name !== org.name) {
        throw badRequest(`采购方账号只能为本单位（${org.name}）发布需求。`, [{ path: 'buyer.name', message: `应为本单位名称“${org.name}”，或不填` }]);
      }
      return org;
    }
    if (!isStaff(user)) throw forbidden();
    if (!buyer) throw badRequest('请填写采购单位（buyer）：主办方代为发布时须指明是哪家单位的需求。', [{ path: 'buyer', message: '请填写采购单位' }]);
    return orgByName(buyer, session);
  }

  const duplicateTitle = (err: unknown) => {
    if ((err as { code?: number }).code === 11000) {
      return badRequest('本单位已有同名需求，请换一个标题，或修改原有需求。', [{ path: 'title', message: '本单位已有同名需求' }]);
    }
    return err;
  };

  /** Finds a demand the user may see; 404 otherwise (never reveals that it exists). */
  async function visible(user: CurrentUser | null, id: string): Promise<DemandDoc> {
    if (!Types.ObjectId.isValid(id)) throw notFound('未找到该需求。');
    const demand = await Demand.findById(id).lean<DemandDoc>();
    if (!demand || !user) throw notFound('未找到该需求。');
    if (isStaff(user) || canManage(user, demand)) return demand;
    if (user.role === 'vendor') {
      if (demand.status === 'open') return demand;
      // A vendor in a follow-up keeps seeing the demand it is working on (never a draft).
      if (user.vendorId && demand.status !== 'draft' && options.vendorFollows && (await options.vendorFollows(String(demand._id), user.vendorId))) return demand;
    }
    throw notFound('未找到该需求。');
  }

  /** Buyer or staff who may manage this demand; others get 404 (buyers) or 403. */
  async function manageable(user: CurrentUser, id: string): Promise<DemandDoc> {
    const demand = await visible(user, id);
    if (!canManage(user, demand)) throw forbidden('只有发布需求的采购单位和主办方可以操作该需求。');
    return demand;
  }

  function listFilter(user: CurrentUser, query: Partial<DemandListQuery>, orgIds?: Types.ObjectId[]): Record<string, unknown> {
    const filter: Record<string, unknown> = {};
    if (user.role === 'buyer') filter.buyerOrg = user.buyerOrgId && Types.ObjectId.isValid(user.buyerOrgId) ? new Types.ObjectId(user.buyerOrgId) : null;
    else if (user.role === 'vendor') filter.status = 'open';
    // Anyone else who is not staff (a district leader, read-only) lists no demands: the reports are theirs.
    else if (!isStaff(user)) filter.buyerOrg = null;
    if (query.status && filter.status === undefined) filter.status = query.status;
    else if (query.status && query.status !== filter.status) filter.status = '__none__';
    if (query.field) filter.field = query.field;
    if (query.q) {
      const re = new RegExp(escapeRegex(query.q), 'i');
      filter.$or = [{ title: re }, { description: re }];
    }
    if (orgIds) {
      filter.buyerOrg = filter.buyerOrg === undefined ? { $in: orgIds } : orgIds.some((o) => String(o) === String(filter.buyerOrg)) ? filter.buyerOrg : null;
    }
    return filter;
  }

  /** Organizations matching the level/region filters, or undefined when there are none. */
  async function orgsMatching(query: Partial<DemandListQuery>): Promise<Types.ObjectId[] | undefined> {
    return buyers.idsMatching(query);
  }

  return {
    orgFor,
    orgByName,
    visible,
    manageable,
    assertFutureDeadline,

    async create(user: CurrentUser, input: DemandInput, source: 'buyer' | 'organizer' = user.role === 'buyer' ? 'buyer' : 'organizer'): Promise<DemandDoc> {
      assertFutureDeadline(input.deadline);
      const { buyer, status, ...fields } = input;
      const now = clock();
      const by = actorOf(user);
      let created: DemandDoc | undefined;
      try {
        await conn.transaction(async (session) => {
          const org = await orgFor(user, buyer, session);
          const doc = {
            ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
            buyerOrg: org._id, status, postedBy: by, source,
            history: [{ action: 'create', to: status, by, at: now }],
          };
          const [demand] = await Demand.create([doc], { session });
          created = demand.toObject() as DemandDoc;
          if (created.status === 'open') await opened(created._id, session);
        });
      } catch (err) {
        throw duplicateTitle(err);
      }
      return created!;
    },

    async update(user: CurrentUser, id: string, input: DemandFields): Promise<DemandDoc> {
      const demand = await manageable(user, id);
      if (demand.status === 'closed') throw conflict('需求已关闭，不能再修改。');
      const next = input as Record<string, unknown>;
      const changed = changedFields(demand as unknown as Record<string, unknown>, next);
      if (!changed.length) return demand;
      if (changed.includes('deadline')) assertFutureDeadline(input.deadline);
      const { $set, $unset } = updateOf(next, changed);
      const entry = { action: 'edit', by: actorOf(user), at: clock(), fields: changed };
      let updated: DemandDoc | null;
      try {
        updated = await Demand.findOneAndUpdate(
          { _id: demand._id, status: { $ne: 'closed' } },
          { $set, ...(Object.keys($unset).length ? { $unset } : {}), $push: { history: entry } },
          { new: true },
        ).lean<DemandDoc>();
      } catch (err) {
        throw duplicateTitle(err);
      }
      if (!updated) throw conflict('需求刚刚被关闭，不能再修改。');
      return updated;
    },

    /** open | start | close, guarded by the status the demand is in now. */
    async transition(user: CurrentUser, id: string, action: Transition, body?: CloseBody): Promise<DemandDoc> {
      const demand = await manageable(user, id);
      const t = transitions[action];
      if (!t.from.includes(demand.status as DemandStatus)) {
        const names: Record<Transition, string> = { open: '开放征集', start: '开始对接', close: '关闭' };
        throw conflict(`需求当前为“${statusNames[demand.status] ?? demand.status}”，不能${names[action]}。`);
      }
      if (action === 'open') {
        if (demand.deadline && demand.deadline.getTime() < clock().getTime()) throw conflict('截止日期已过，请先修改截止日期再开放征集。');
      }
      if (action === 'close') {
        if (!body) throw badRequest('请填写关闭结果与原因。');
        if (body.closedAs === 'fulfilled' && demand.status === 'draft') throw conflict('草稿需求不能标记为已完成，请选择“已取消”。');
      }
      const now = clock();
      const entry: Record<string, unknown> = { action, from: demand.status, to: t.to, by: actorOf(user), at: now };
      const $set: Record<string, unknown> = { status: t.to };
      if (action === 'close' && body) {
        Object.assign(entry, { closedAs: body.closedAs, reason: body.reason });
        Object.assign($set, { closedAs: body.closedAs, closeReason: body.reason, closedAt: now });
      }
      let updated: DemandDoc | null = null;
      await conn.transaction(async (session) => {
        updated = await Demand.findOneAndUpdate(
          { _id: demand._id, status: demand.status },
          { $set, $push: { history: entry } },
          { new: true, session },
        ).lean<DemandDoc>();
        if (updated && action === 'open') await opened(updated._id, session);
      });
      if (!updated) throw conflict('需求状态刚刚被他人改变，请刷新后再试。');
      return updated;
    },

    /**
     * Closes open and in-progress demands whose deadline has passed (closedAs 'expired', by 系统).
     * Each status is swept with one guarded update, so history records the exact status each one left.
     */
    async sweepExpired(now: Date = clock()): Promise<number> {
      let closed = 0;
      for (const from of ['open', 'in_progress'] as const) {
        const entry = { action: 'expire', from, to: 'closed', by: systemActor, at: now, closedAs: 'expired', reason: '已过截止日期，系统自动关闭' };
        const res = await Demand.updateMany(
          { status: from, deadline: { $lt: now } },
          { $set: { status: 'closed', closedAs: 'expired', closeReason: '已过截止日期，系统自动关闭', closedAt: now }, $push: { history: entry } },
        );
        closed += res.modifiedCount;
      }
      return closed;
    },

    async list(user: CurrentUser, query: Partial<DemandListQuery>) {
      const page = query.page ?? 1;
      const pageSize = query.pageSize ?? 20;
      const filter = listFilter(user, query, await orgsMatching(query));
      const [total, items] = await Promise.all([
        Demand.countDocuments(filter),
        Demand.find(filter).sort({ createdAt: -1, _id: -1 }).skip((page - 1) * pageSize).limit(pageSize).lean<DemandDoc[]>(),
      ]);
      const orgs = await buyers.byIds([...new Set(items.map((d) => String(d.buyerOrg)))]);
      const orgById = new Map(orgs.map((o) => [String(o._id), o]));
      return { total, page, pageSize, items: items.map((d) => ({ demand: d, org: orgById.get(String(d.buyerOrg)) })) };
    },

    /** Counts by status for the same filters (status filter aside): the board's tabs. */
    async statusCounts(user: CurrentUser, query: Partial<DemandListQuery>): Promise<Record<string, number>> {
      const filter = listFilter(user, { ...query, status: undefined }, await orgsMatching(query));
      const rows = await Demand.aggregate<{ _id: string; n: number }>([{ $match: filter }, { $group: { _id: '$status', n: { $sum: 1 } } }]);
      return Object.fromEntries(rows.map((r) => [r._id, r.n]));
    },

    async org(id: unknown): Promise<OrgDoc | null> {
      return buyers.findById(id);
    },

    /** An organization's demands, newest first (a buyer's workbench). */
    async ofOrg(orgId: unknown): Promise<DemandDoc[]> {
      return Demand.find({ buyerOrg: orgId }).sort({ createdAt: -1, _id: -1 }).limit(200).lean<DemandDoc[]>();
    },
  };
}

/** The demand as JSON; private notes only for those who manage it. */
export function demandJson(demand: DemandDoc, org: OrgDoc | null | undefined, options: { includePrivate: boolean }) {
  const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : undefined);
  const out = {
    id: String(demand._id),
    title: demand.title,
    description: demand.description ?? '',
    ...present(demand, ['field', 'category', 'quantity', 'unit', 'budgetYuan']),
    requiredCertifications: demand.requiredCertifications ?? [],
    preferredCertifications: demand.preferredCertifications ?? [],
    deadline: iso(demand.deadline),
    status: demand.status as DemandStatus,
    ...present(demand, ['closedAs', 'closeReason', 'source']),
    closedAt: iso(demand.closedAt),
    buyer: org
      ? { id: String(org._id), name: org.name, type: org.type, level: org.level, province: org.province, city: org.city ?? undefined, district: org.district ?? undefined }
      : undefined,
    createdAt: iso(demand.createdAt),
    updatedAt: iso(demand.updatedAt),
  };
  if (!options.includePrivate) return out;
  return {
    ...out,
    privateNotes: demand.privateNotes ?? undefined,
    postedBy: demand.postedBy ? { id: demand.postedBy.id ?? '', name: demand.postedBy.name ?? '', role: demand.postedBy.role ?? '' } : undefined,
    history: (demand.history ?? []).map((h) => ({
      action: h.action, from: h.from ?? undefined, to: h.to ?? undefined,
      by: { id: h.by?.id ?? '', name: h.by?.name ?? '', role: h.by?.role ?? '' },
      at: iso(h.at)!, reason: h.reason ?? undefined, closedAs: h.closedAs ?? undefined, fields: h.fields ?? undefined,
    })),
  };
}
