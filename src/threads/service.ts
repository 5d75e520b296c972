/**
 * `app.threads`: the conversation of one (demand, vendor) — reading it (parties and staff), posting a
 * message with an optional attachment (parties, once the thread is open), the buyer's answer to the
 * vendor's 有意向, the contacts each side sees on mutual interest, and the message counts the follow-up
 * record shows.
 *
 * A message is stored in one transaction with the thread's counters and the notification to the other
 * side. The attachment reaches GridFS first (GridFS writes are not transactional) after its content and
 * size were checked; if the transaction then fails the file is deleted again.
 */
import { once } from 'node:events';
import { mongo, Types, type ClientSession, type Connection } from 'mongoose';
import type { Models } from '../infra/models.js';
import type { CurrentUser } from '../accounts/index.js';
import type { NotifyEventInput } from '../notifications/index.js';
import type { FollowUpService } from '../followups/index.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../web/errors.js';
import { THREAD_FILES_BUCKET, type InterestAnswer, type ThreadSide } from './model.js';
import {
  MAX_ATTACHMENT_BYTES, answerNames, answerRefusal, attachmentName, mutualInterest, postRefusal, sniffAttachment,
  threadOpen, viewerOf, type PairFacts, type Viewer,
} from './rules.js';

export interface Contact { name?: string; phone?: string; email?: string; organization: string }

export interface MessageView {
  id: string;
  side: ThreadSide;
  sideName: string;
  by: { id: string; name: string; role: string };
  text: string;
  at: Date;
  attachment?: { filename: string; contentType: string; size: number; url: string };
}

export interface ThreadSummary {
  demandId: string;
  demandTitle: string;
  vendorId: string;
  vendorName: string;
  buyerOrgName: string;
  followUpId?: string;
  followUpStatus: string | null;
  followUpStatusName?: string;
  answer: InterestAnswer | null;
  answerName?: string;
  mutual: boolean;
  /** The vendor said 有意向 and the buyer has not answered yet (接受/婉拒). */
  awaitingAnswer: boolean;
  messageCount: number;
  lastMessageAt?: Date;
  url: string;
}

export interface ThreadView extends ThreadSummary {
  viewer: Viewer;
  readOnly: boolean;
  open: boolean;
  /** Why this viewer cannot post now (null: may post). */
  postRefusal: string | null;
  /** Whether this viewer (the buyer) may answer the vendor's 有意向 now. */
  canAnswer: boolean;
  answerReason?: string;
  /** The other side's contact for a party, both for staff; absent until mutual interest. */
  contacts: { buyer?: Contact; vendor?: Contact };
  messages: MessageView[];
}

export interface PostInput { text?: string; file?: { buffer: Buffer; filename?: string } }

export interface ThreadServiceOptions {
  conn: Connection;
  models: Models;
  clock: () => Date;
  notify: (event: NotifyEventInput, options?: { session?: ClientSession }) => Promise<unknown>;
  followUps: () => FollowUpService;
}

const isObjectId = (id: unknown): id is string => typeof id === 'string' && /^[0-9a-f]{24}$/i.test(id);
const oid = (id: string | Types.ObjectId) => (typeof id === 'string' ? new Types.ObjectId(id) : id);
const sideNames: Record<ThreadSide, string> = { buyer: '采购方', vendor: '供应商' };
export const threadUrl = (demandId: string, vendorId: string) => `/demands/${demandId}/threads/${vendorId}`;
const NOT_FOUND = '未找到该对话。';
const followUpStatusNames: Record<string, string> = { contacted: '已联系', intent: '有意向', signed: '已签约', declined: '不合适' };

export function createThreadService(options: ThreadServiceOptions) {
  const { conn, models, clock } = options;
  const { Demand, Vendor, BuyerOrg, FollowUp, Thread, ThreadMessage, EventParticipant, EventPreference, User } = models;
  const bucket = () => new mongo.GridFSBucket(conn.db!, { bucketName: THREAD_FILES_BUCKET });

  /** Both sides wished each other (必须见/希望见) at some event. */
  async function mutualEventWish(buyerOrg: Types.ObjectId, vendor: Types.ObjectId): Promise<boolean> {
    const [vendorPs, buyerPs] = await Promise.all([
      EventParticipant.find({ kind: 'vendor', vendor }, { event: 1 }).lean(),
      EventParticipant.find({ kind: 'buyer', buyerOrg }, { event: 1 }).lean(),
    ]);
    const buyerByEvent = new Map(buyerPs.map((p) => [String(p.event), p._id]));
    const pairs = vendorPs.filter((v) => buyerByEvent.has(String(v.event))).map((v) => ({ v: v._id, b: buyerByEvent.get(String(v.event))! }));
    if (!pairs.length) return false;
    const wishes = await EventPreference.find({
      level: { $in: ['must', 'want'] },
      $or: pairs.flatMap(({ v, b }) => [{ from: v, to: b }, { from: b, to: v }]),
    }, { from: 1, to: 1 }).lean();
    const has = new Set(wishes.map((w) => `${String(w.from)}>${String(w.to)}`));
    return pairs.some(({ v, b }) => has.has(`${String(v)}>${String(b)}`) && has.has(`${String(b)}>${String(v)}`));
  }

  async function load(demandId: string, vendorId: string, session?: ClientSession) {
    if (!isObjectId(demandId) || !isObjectId(vendorId)) throw notFound(NOT_FOUND);
    const [demand, vendor] = await Promise.all([
      Demand.findById(demandId, { title: 1, buyerOrg: 1, status: 1, postedBy: 1 }).session(session ?? null).lean(),
      Vendor.findById(vendorId, { name: 1, contact: 1 }).session(session ?? null).lean(),
    ]);
    if (!demand || !vendor) throw notFound(NOT_FOUND);
    const [followUp, thread] = await Promise.all([
      FollowUp.findOne({ demand: demand._id, vendor: vendor._id }, { status: 1, 'steps.action': 1 }).session(session ?? null).lean(),
      Thread.findOne({ demand: demand._id, vendor: vendor._id }).session(session ?? null).lean(),
    ]);
    const facts: PairFacts = {
      followUpStatus: followUp?.status ?? null,
      everIntent: Boolean(followUp?.steps?.some((s) => s.action === 'intent')),
      answer: (thread?.answer?.value as InterestAnswer | undefined) ?? null,
      mutualEventWish: false,
      demandStatus: demand.status ?? 'open',
    };
    // The event wishes are looked up only when the follow-up alone does not settle mutual interest.
    if (!mutualInterest(facts)) facts.mutualEventWish = await mutualEventWish(demand.buyerOrg, vendor._id);
    return { demand, vendor, followUp, thread, facts };
  }
  type Loaded = Awaited<ReturnType<typeof load>>;

  /** The viewer of this pair, or a 404 for anyone who is not a party or staff, or when the thread is not open. */
  function access(user: CurrentUser, l: Loaded): Viewer {
    const viewer = viewerOf(user, String(l.demand.buyerOrg), String(l.vendor._id));
    if (!viewer) throw notFound(NOT_FOUND);
    if (viewer === 'vendor' && l.demand.status === 'draft') throw notFound(NOT_FOUND);
    if (!threadOpen(l.facts) && !l.thread) {
      throw notFound(viewer === 'staff' ? NOT_FOUND : '双方尚未表达对接意向，对话尚未开启：供应商表示“有意向”或双方在对接会上互选后即可沟通。');
    }
    return viewer;
  }

  async function buyerContact(demand: Loaded['demand']): Promise<Contact> {
    const org = await BuyerOrg.findById(demand.buyerOrg, { name: 1 }).lean();
    const poster = demand.postedBy?.role === 'buyer' && isObjectId(demand.postedBy.id)
      ? await User.findOne({ _id: demand.postedBy.id, buyerOrg: demand.buyerOrg }, { name: 1, email: 1 }).lean() : null;
    const person = poster ?? await User.findOne({ role: 'buyer', buyerOrg: demand.buyerOrg }, { name: 1, email: 1 }).sort({ _id: 1 }).lean();
    // The phone the organization gave when registering for a matchmaking event, the latest one.
    const participant = await EventParticipant.findOne({ kind: 'buyer', buyerOrg: demand.buyerOrg, contactPhone: { $nin: [null, ''] } }, { contactName: 1, contactPhone: 1 })
      .sort({ updatedAt: -1 }).lean();
    return {
      organization: org?.name ?? '',
      name: person?.name ?? participant?.contactName ?? undefined,
      email: person?.email ?? undefined,
      phone: participant?.contactPhone ?? undefined,
    };
  }

  function vendorContact(vendor: Loaded['vendor']): Contact {
    return { organization: vendor.name, name: vendor.contact?.name ?? undefined, phone: vendor.contact?.phone ?? undefined, email: vendor.contact?.email ?? undefined };
  }

  async function summaryOf(l: Loaded): Promise<ThreadSummary> {
    const org = await BuyerOrg.findById(l.demand.buyerOrg, { name: 1 }).lean();
    const demandId = String(l.demand._id);
    const vendorId = String(l.vendor._id);
    return {
      demandId, demandTitle: l.demand.title, vendorId, vendorName: l.vendor.name, buyerOrgName: org?.name ?? '',
      followUpId: l.followUp ? String(l.followUp._id) : undefined,
      followUpStatus: l.facts.followUpStatus,
      followUpStatusName: l.facts.followUpStatus ? followUpStatusNames[l.facts.followUpStatus] : undefined,
      answer: l.facts.answer,
      answerName: l.facts.answer ? answerNames[l.facts.answer] : undefined,
      mutual: mutualInterest(l.facts),
      awaitingAnswer: answerRefusal('buyer', l.facts) === null,
      messageCount: l.thread?.messageCount ?? 0,
      lastMessageAt: l.thread?.lastMessageAt ?? undefined,
      url: threadUrl(demandId, vendorId),
    };
  }

  function messageView(m: { _id: Types.ObjectId; side: string; by?: { id?: string | null; name?: string | null; role?: string | null } | null; text?: string | null; at: Date; attachment?: { filename: string; contentType: string; size: number } | null }, demandId: string, vendorId: string): MessageView {
    const side = m.side as ThreadSide;
    return {
      id: String(m._id), side, sideName: sideNames[side],
      by: { id: m.by?.id ?? '', name: m.by?.name ?? '', role: m.by?.role ?? '' },
      text: m.text ?? '',
      at: m.at,
      ...(m.attachment ? {
        attachment: {
          filename: m.attachment.filename, contentType: m.attachment.contentType, size: m.attachment.size,
          url: `/api/v1/demands/${demandId}/threads/${vendorId}/messages/${String(m._id)}/attachment`,
        },
      } : {}),
    };
  }

  async function view(user: CurrentUser, demandId: string, vendorId: string): Promise<ThreadView> {
    const l = await load(demandId, vendorId);
    const viewer = access(user, l);
    const mutual = mutualInterest(l.facts);
    const contacts: ThreadView['contacts'] = {};
    if (mutual) {
      if (viewer !== 'buyer') contacts.buyer = await buyerContact(l.demand);
      if (viewer !== 'vendor') contacts.vendor = vendorContact(l.vendor);
    }
    const messages = l.thread
      ? await ThreadMessage.find({ thread: l.thread._id }).sort({ at: 1, _id: 1 }).limit(1000).lean() : [];
    return {
      ...(await summaryOf(l)),
      viewer,
      readOnly: viewer === 'staff',
      open: threadOpen(l.facts),
      postRefusal: postRefusal(viewer, l.facts),
      canAnswer: answerRefusal(viewer, l.facts) === null,
      answerReason: l.thread?.answer?.reason ?? undefined,
      contacts,
      messages: messages.map((m) => messageView(m as never, String(l.demand._id), String(l.vendor._id))),
    };
  }

  /** Finds or creates the thread inside a transaction, linked to the follow-up when there is one. */
  async function ensureThread(l: Loaded, session: ClientSession, at: Date) {
    const followUp = await FollowUp.findOne({ demand: l.demand._id, vendor: l.vendor._id }, { _id: 1 }).session(session).lean();
    await Thread.updateOne(
      { demand: l.demand._id, vendor: l.vendor._id },
      {
        $setOnInsert: { buyerOrg: l.demand.buyerOrg, createdAt: at, updatedAt: at, messageCount: 0 },
        ...(followUp ? { $set: { followUp: followUp._id } } : {}),
      },
      { upsert: true, session },
    );
    return (await Thread.findOne({ demand: l.demand._id, vendor: l.vendor._id }).session(session).lean())!;
  }

  async function storeFile(file: NonNullable<PostInput['file']>, meta: Record<string, unknown>) {
    if (file.buffer.length > MAX_ATTACHMENT_BYTES) throw new AppError(413, 'FILE_TOO_LARGE', '附件不能超过 10 MB。');
    const contentType = sniffAttachment(file.buffer);
    if (!contentType) {
      throw new AppError(415, 'UNSUPPORTED_FILE', '附件须为 PDF 或 Excel（.xlsx）文件：按文件内容判断，改扩展名无效。');
    }
    const filename = attachmentName(file.filename, contentType);
    const upload = bucket().openUploadStream(filename, { metadata: { ...meta, contentType } });
    upload.end(file.buffer);
    await once(upload, 'finish');
    return { fileId: upload.id as Types.ObjectId, filename, contentType, size: file.buffer.length };
  }

  async function post(user: CurrentUser, demandId: string, vendorId: string, input: PostInput): Promise<MessageView> {
    const l = await load(demandId, vendorId);
    const viewer = access(user, l);
    if (viewer === 'staff') throw forbidden('平台组织方只能查看对话，不能发言。');
    const refusal = postRefusal(viewer, l.facts);
    if (refusal) throw conflict(refusal);
    const text = (input.text ?? '').trim();
    if (!text && !input.file) throw badRequest('请填写消息内容或附上文件。', [{ path: 'text', message: '请填写消息内容' }]);
    if (text.length > 2000) throw badRequest('消息最多 2000 字。', [{ path: 'text', message: '消息最多 2000 字' }]);
    const side = viewer;
    const actor = { id: user.id, name: user.name, role: user.role };
    const attachment = input.file ? await storeFile(input.file, { demand: l.demand._id, vendor: l.vendor._id, by: user.id }) : undefined;
    try {
      const saved = await conn.transaction(async (session) => {
        const at = clock();
        const thread = await ensureThread(l, session, at);
        const [message] = await ThreadMessage.create([{
          thread: thread._id, demand: l.demand._id, vendor: l.vendor._id, side, by: actor, text, at,
          ...(attachment ? { attachment } : {}),
        }], { session });
        await Thread.updateOne({ _id: thread._id }, { $inc: { messageCount: 1 }, $set: { lastMessageAt: at, updatedAt: at } }, { session });
        const link = threadUrl(String(l.demand._id), String(l.vendor._id));
        const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
        await options.notify({
          kind: 'thread.message',
          recipients: side === 'vendor' ? { buyerOrgId: String(l.demand.buyerOrg) } : { vendorId: String(l.vendor._id) },
          title: side === 'vendor'
            ? `${l.vendor.name}就需求“${l.demand.title}”给您发来消息`
            : `采购方就需求“${l.demand.title}”给您发来消息`,
          body: `${user.name}：${preview || '（附件）'}${attachment ? `（附件：${attachment.filename}）` : ''}`,
          link,
        }, { session });
        return message.toObject();
      });
      return messageView(saved as never, String(l.demand._id), String(l.vendor._id));
    } catch (err) {
      if (attachment) await bucket().delete(attachment.fileId).catch(() => {});
      throw err;
    }
  }

  async function answer(user: CurrentUser, demandId: string, vendorId: string, input: { answer: 'accept' | 'decline'; reason?: string }) {
    const l = await load(demandId, vendorId);
    const viewer = access(user, l);
    const refusal = answerRefusal(viewer, l.facts);
    if (refusal) throw viewer === 'buyer' ? conflict(refusal) : forbidden(refusal);
    const value: InterestAnswer = input.answer === 'accept' ? 'accepted' : 'declined';
    const reason = input.reason?.trim() || undefined;
    if (value === 'declined' && !reason) throw badRequest('婉拒时请填写原因。', [{ path: 'reason', message: '请填写婉拒的原因' }]);
    const actor = { id: user.id, name: user.name, role: user.role };
    await conn.transaction(async (session) => {
      const at = clock();
      const thread = await ensureThread(l, session, at);
      const res = await Thread.updateOne(
        { _id: thread._id, answer: { $exists: false } },
        { $set: { answer: { value, ...(reason ? { reason } : {}), by: actor, at }, updatedAt: at } },
        { session },
      );
      if (res.modifiedCount !== 1) throw conflict('该意向刚刚已被答复，请刷新后查看。');
      // 婉拒 closes the follow-up as 不合适 with the same reason, so the record and the reports agree; the
      // vendor hears of it once, by the notice below.
      if (value === 'declined') {
        await options.followUps().advance(user, String(l.demand._id), String(l.vendor._id), { to: 'declined', from: 'intent', reason: `婉拒意向：${reason}` }, { session, silent: true });
      }
      await options.notify({
        kind: 'thread.answer',
        recipients: { vendorId: String(l.vendor._id) },
        title: value === 'accepted'
          ? `采购方接受了您对需求“${l.demand.title}”的意向`
          : `采购方婉拒了您对需求“${l.demand.title}”的意向`,
        body: value === 'accepted'
          ? `${user.name}接受了${l.vendor.name}的意向，现在双方可以看到对方的联系人，并在对话中沟通报价。`
          : `${user.name}婉拒了${l.vendor.name}的意向，原因：${reason}。`,
        link: threadUrl(String(l.demand._id), String(l.vendor._id)),
      }, { session });
    });
    return view(user, demandId, vendorId);
  }

  async function attachment(user: CurrentUser, demandId: string, vendorId: string, messageId: string) {
    const l = await load(demandId, vendorId);
    access(user, l);
    if (!isObjectId(messageId) || !l.thread) throw notFound('未找到该附件。');
    const m = await ThreadMessage.findOne({ _id: messageId, thread: l.thread._id }, { attachment: 1 }).lean();
    if (!m?.attachment) throw notFound('未找到该附件。');
    return {
      stream: bucket().openDownloadStream(m.attachment.fileId),
      filename: m.attachment.filename, contentType: m.attachment.contentType, size: m.attachment.size,
    };
  }

  /** The threads of a demand a user may read: the buyer and staff one per interested vendor; a vendor its own. */
  async function listForDemand(user: CurrentUser, demandId: string): Promise<ThreadSummary[]> {
    if (!isObjectId(demandId)) throw notFound('未找到该需求。');
    const demand = await Demand.findById(demandId, { buyerOrg: 1, status: 1 }).lean();
    if (!demand) throw notFound('未找到该需求。');
    let vendorFilter: Types.ObjectId | undefined;
    if (user.role === 'vendor') {
      if (!user.vendorId || demand.status === 'draft') throw notFound('未找到该需求。');
      vendorFilter = oid(user.vendorId);
    } else if (user.role === 'buyer') {
      if (user.buyerOrgId !== String(demand.buyerOrg)) throw notFound('未找到该需求。');
    } else if (user.role !== 'organizer' && user.role !== 'admin') {
      throw notFound('未找到该需求。');
    }
    const base = { demand: demand._id, ...(vendorFilter ? { vendor: vendorFilter } : {}) };
    const [fus, threads] = await Promise.all([
      FollowUp.find({ ...base, $or: [{ status: { $in: ['intent', 'signed'] } }, { 'steps.action': 'intent' }] }, { vendor: 1 }).lean(),
      Thread.find(base, { vendor: 1 }).lean(),
    ]);
    const vendorIds = [...new Set([...fus, ...threads].map((x) => String(x.vendor)))];
    const out: ThreadSummary[] = [];
    for (const vendorId of vendorIds) {
      const l = await load(demandId, vendorId).catch(() => null);
      if (l && (threadOpen(l.facts) || l.thread)) out.push(await summaryOf(l));
    }
    return out.sort((a, b) => (b.lastMessageAt?.getTime() ?? 0) - (a.lastMessageAt?.getTime() ?? 0));
  }

  /** A vendor's threads across demands (its 商机 page links here). */
  async function listForVendor(user: CurrentUser): Promise<ThreadSummary[]> {
    if (user.role !== 'vendor') throw forbidden('只有供应商可以查看本企业的对话列表。');
    if (!user.vendorId) return [];
    const vendor = oid(user.vendorId);
    const [fus, threads] = await Promise.all([
      FollowUp.find({ vendor, $or: [{ status: { $in: ['intent', 'signed'] } }, { 'steps.action': 'intent' }] }, { demand: 1 }).limit(500).lean(),
      Thread.find({ vendor }, { demand: 1 }).limit(500).lean(),
    ]);
    const demandIds = [...new Set([...fus, ...threads].map((x) => String(x.demand)))];
    const out: ThreadSummary[] = [];
    for (const demandId of demandIds) {
      const l = await load(demandId, String(user.vendorId)).catch(() => null);
      if (l && l.demand.status !== 'draft' && (threadOpen(l.facts) || l.thread)) out.push(await summaryOf(l));
    }
    return out.sort((a, b) => (b.lastMessageAt?.getTime() ?? 0) - (a.lastMessageAt?.getTime() ?? 0));
  }

  /** Message counts per (demand, vendor) pair, keyed "demandId:vendorId", for the follow-up view. */
  async function countsForPairs(pairs: Array<{ demandId: string; vendorId: string }>): Promise<Map<string, number>> {
    const valid = pairs.filter((p) => isObjectId(p.demandId) && isObjectId(p.vendorId));
    if (!valid.length) return new Map();
    const list = await Thread.find({ $or: valid.map((p) => ({ demand: oid(p.demandId), vendor: oid(p.vendorId) })) }, { demand: 1, vendor: 1, messageCount: 1 }).lean();
    return new Map(list.map((t) => [`${String(t.demand)}:${String(t.vendor)}`, t.messageCount ?? 0]));
  }

  return { view, post, answer, attachment, listForDemand, listForVendor, countsForPairs };
}

export type ThreadService = ReturnType<typeof createThreadService>;
