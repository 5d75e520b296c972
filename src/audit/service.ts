/**
 * Recording and reading the audit trail. `record()` appends one entry; `recordRequest()` fills in who
 * and from where from a request; `recordRoute()` is what the onSend hook calls for routes declaring
 * `config.audit`. Reading is filtered and paginated; nothing here changes or removes an entry.
 */
import type { FastifyRequest } from 'fastify';
import { isValidObjectId, type FilterQuery } from 'mongoose';
import { z } from 'zod';
import type { Models } from '../infra/models.js';
import { actionLabel, auditActions, targetKindNames, type TargetKind } from './actions.js';
import type { AuditEntry } from './model.js';

export interface AuditActor { id: string; name?: string; email?: string; role?: string }
export interface AuditTarget { kind: TargetKind; id?: string; label?: string }

export interface AuditInput {
  /** An action code of src/audit/actions.ts, e.g. 'vendor.approve'. */
  action: string;
  actor?: AuditActor | null;
  /** The email concerned (defaults to the actor's); for failed logins, the one typed. */
  email?: string;
  ip?: string;
  userAgent?: string;
  target?: AuditTarget;
  /** Short Chinese description; defaults to the action's label. */
  description?: string;
  requestId?: string;
  at?: Date;
}

export type AuditRequestInput = Omit<AuditInput, 'ip' | 'userAgent' | 'requestId'>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const day = (label: string) =>
  z.preprocess(emptyToUndefined, z.string().regex(DAY, `${label}应为“年-月-日”，如 2026-01-31`)
    .refine((v) => !Number.isNaN(new Date(`${v}T00:00:00+08:00`).getTime()) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v), `${label}不是有效日期`)
    .optional());

/** The filters of the page, the workbook and GET /api/v1/audit. Dates are whole days, China time. */
export const AuditQuery = z.object({
  action: z.preprocess(emptyToUndefined, z.string().max(60).refine((v) => v in auditActions, '未知的操作类型').optional()),
  user: z.preprocess(emptyToUndefined, z.string().trim().max(200).optional()),
  from: day('开始日期'),
  to: day('结束日期'),
  page: z.preprocess(emptyToUndefined, z.coerce.number('页码应为数字').int('页码应为整数').min(1, '页码至少为 1').max(100_000).default(1)),
}).refine((q) => !q.from || !q.to || q.from <= q.to, { message: '开始日期不能晚于结束日期', path: ['to'] });
export type AuditQuery = z.output<typeof AuditQuery>;

export const PAGE_SIZE = 50;
/** The workbook holds at most this many rows (newest first); narrow the filters for older ones. */
export const EXPORT_LIMIT = 50_000;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const chinaDayStart = (d: string) => new Date(`${d}T00:00:00+08:00`);

export function auditFilter(q: Omit<AuditQuery, 'page'>): FilterQuery<AuditEntry> {
  const filter: FilterQuery<AuditEntry> = {};
  if (q.action) filter.action = q.action;
  if (q.user) {
    const re = new RegExp(escapeRegex(q.user), 'i');
    const or: FilterQuery<AuditEntry>[] = [{ email: re }, { 'actor.email': re }, { 'actor.name': re }];
    if (isValidObjectId(q.user)) or.push({ 'actor.id': q.user });
    filter.$or = or;
  }
  if (q.from || q.to) {
    filter.at = {
      ...(q.from ? { $gte: chinaDayStart(q.from) } : {}),
      ...(q.to ? { $lt: new Date(chinaDayStart(q.to).getTime() + 86_400_000) } : {}),
    };
  }
  return filter;
}

type StoredEntry = AuditEntry & { _id: unknown };

export function entryJson(e: StoredEntry) {
  const kind = e.target?.kind as TargetKind | undefined;
  return {
    id: String(e._id),
    at: e.at.toISOString(),
    action: e.action,
    actionLabel: actionLabel(e.action),
    actor: e.actor?.id ? { id: e.actor.id, name: e.actor.name ?? '', email: e.actor.email ?? '', role: e.actor.role ?? '' } : null,
    email: e.email ?? '',
    ip: e.ip ?? '',
    userAgent: e.userAgent ?? '',
    target: kind ? { kind, kindLabel: targetKindNames[kind] ?? kind, id: e.target?.id ?? '', label: e.target?.label ?? '' } : null,
    description: e.description ?? '',
  };
}
export type AuditEntryJson = ReturnType<typeof entryJson>;

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

export function auditService(models: Models, clock: () => Date = () => new Date()) {
  const { AuditEntry, User, ApiToken, Vendor, Product, Event, Visit } = models;

  /** A readable name for the target, looked up once when the entry is written (it may change later). */
  async function labelOf(kind: TargetKind, id: string): Promise<string | undefined> {
    if (!isValidObjectId(id)) return undefined;
    switch (kind) {
      case 'user': return (await User.findById(id, 'email name').lean())?.email;
      case 'token': return (await ApiToken.findById(id, 'name').lean())?.name;
      case 'vendor': return (await Vendor.findById(id, 'name').lean())?.name;
      case 'product': {
        const p = await Product.findById(id, 'name model').lean();
        return p ? [p.name, p.model].filter(Boolean).join(' ') : undefined;
      }
      case 'event': return (await Event.findById(id, 'title').lean())?.title;
      case 'visit': return (await Visit.findById(id, 'title').lean())?.title;
    }
  }

  async function record(input: AuditInput): Promise<void> {
    const target = input.target
      ? { ...input.target, label: input.target.label ?? (input.target.id ? await labelOf(input.target.kind, input.target.id) : undefined) }
      : undefined;
    await AuditEntry.create({
      at: input.at ?? clock(),
      action: input.action,
      actor: input.actor ?? undefined,
      email: input.email ?? input.actor?.email,
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 300),
      target,
      description: (input.description ?? actionLabel(input.action)).slice(0, 500),
      requestId: input.requestId,
    });
  }

  function recordRequest(request: FastifyRequest, input: AuditRequestInput): Promise<void> {
    const u = request.user;
    return record({
      actor: u ? { id: u.id, name: u.name, email: u.email, role: u.role } : null,
      ...input,
      ip: request.ip,
      userAgent: request.headers['user-agent'],
      requestId: request.id,
    });
  }

  /** For a route declaring `config.audit`: the code, refined by the body; the target from the params. */
  function recordRoute(request: FastifyRequest, code: string): Promise<void> {
    const spec = auditActions[code];
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
    const params = (request.params ?? {}) as Record<string, unknown>;
    const action = spec?.refine?.(body) ?? code;
    const refined = auditActions[action] ?? spec;
    let id = params[spec?.param ?? 'id'];
    if (!isString(id) && spec?.kind === 'user') id = request.user?.id;
    const describe = spec?.describe ?? refined?.describe;
    const detail = isString(params.participantId) ? `（报名编号 ${params.participantId}）` : '';
    return recordRequest(request, {
      action,
      target: spec?.kind ? { kind: spec.kind, id: isString(id) ? id : undefined } : undefined,
      description: `${describe ? describe(body) : (refined?.label ?? code)}${detail}`,
    });
  }

  async function list(q: AuditQuery) {
    const filter = auditFilter(q);
    const [total, entries] = await Promise.all([
      AuditEntry.countDocuments(filter),
      AuditEntry.find(filter).sort({ at: -1, _id: -1 }).skip((q.page - 1) * PAGE_SIZE).limit(PAGE_SIZE).lean(),
    ]);
    return { total, page: q.page, pageSize: PAGE_SIZE, entries: entries.map((e) => entryJson(e)) };
  }

  async function forExport(q: Omit<AuditQuery, 'page'>) {
    const entries = await AuditEntry.find(auditFilter(q)).sort({ at: -1, _id: -1 }).limit(EXPORT_LIMIT).lean();
    return entries.map((e) => entryJson(e));
  }

  return { record, recordRequest, recordRoute, list, forExport };
}

export type AuditService = ReturnType<typeof auditService>;
