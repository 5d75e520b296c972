/**
 * The audit trail's vocabulary: every action code with its Chinese label, the kind of thing it acts on,
 * and (for route-declared actions) how the request body refines or describes it. Codes are stable: they
 * are what `config: { audit: 'vendor.approve' }` names and what the filters and the API use.
 */
import { phaseNames } from '../events/index.js';

/** The phases of a 企业调研/现场考察 (as src/visits/schemas.ts names them). */
const visitPhaseNames: Record<string, string> = { draft: '筹备中', registration: '报名中', confirmed: '行程已确定', finished: '已结束', cancelled: '已取消' };

export type TargetKind = 'user' | 'token' | 'vendor' | 'product' | 'event' | 'batch' | 'visit';

export const targetKindNames: Record<TargetKind, string> = {
  user: '账号', token: 'API 令牌', vendor: '企业', product: '产品', event: '对接会', batch: '推介清单批次', visit: '调研考察',
};

type Body = Record<string, unknown>;

export interface AuditAction {
  label: string;
  kind?: TargetKind;
  /** Route param holding the target id (default `id`; for `user` actions without one, the caller). */
  param?: string;
  /** A more precise code for this request (e.g. event.phase → event.publish). */
  refine?: (body: Body) => string;
  /** A short Chinese description; default: the label (plus the reason, when one was given). */
  describe?: (body: Body) => string;
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim().slice(0, 200) : '');
const withReason = (label: string) => (body: Body) => (text(body.reason) ? `${label}，原因：${text(body.reason)}` : label);

export const auditActions: Record<string, AuditAction> = {
  'auth.login': { label: '登录成功', kind: 'user' },
  'auth.login.fail': { label: '登录失败', kind: 'user' },
  'auth.login.blocked': { label: '登录被限制（尝试过多）', kind: 'user' },
  'token.create': { label: '创建 API 令牌', kind: 'token' },
  'token.revoke': { label: '撤销 API 令牌', kind: 'token' },
  'password.change': { label: '修改密码', kind: 'user' },
  'password.reset': { label: '重置用户密码', kind: 'user' },
  'user.create': { label: '创建用户', kind: 'user' },
  'user.update': {
    label: '修改用户', kind: 'user',
    refine: (b) => (b.disabled === true ? 'user.disable' : b.disabled === false ? 'user.enable' : 'user.update'),
  },
  'user.disable': { label: '停用账号', kind: 'user' },
  'user.enable': { label: '启用账号', kind: 'user' },
  'user.role': { label: '变更角色', kind: 'user' },
  'vendor.approve': { label: '企业审核通过', kind: 'vendor' },
  'vendor.reject': { label: '退回企业', kind: 'vendor', describe: withReason('退回企业') },
  'vendor.suspend': { label: '暂停企业', kind: 'vendor', describe: withReason('暂停企业') },
  'vendor.revision.approve': { label: '通过企业资料修改', kind: 'vendor' },
  'vendor.revision.reject': { label: '退回企业资料修改', kind: 'vendor', describe: withReason('退回企业资料修改') },
  'product.publish': { label: '发布产品', kind: 'product' },
  'product.reject': { label: '退回产品', kind: 'product', describe: withReason('退回产品') },
  'product.revision.approve': { label: '通过产品修改', kind: 'product' },
  'product.revision.reject': { label: '退回产品修改', kind: 'product', describe: withReason('退回产品修改') },
  'event.phase': {
    label: '切换对接会阶段', kind: 'event',
    refine: (b) => (b.to === 'published' ? 'event.publish' : 'event.phase'),
    describe: (b) => `对接会进入“${phaseNames[text(b.to)] ?? text(b.to)}”阶段`,
  },
  'event.publish': { label: '发布对接会日程', kind: 'event' },
  'event.participant.review': {
    label: '审核参会报名', kind: 'event',
    refine: (b) => (b.decision === 'approve' ? 'event.participant.approve' : 'event.participant.reject'),
    describe: (b) => (b.decision === 'approve' ? '通过参会报名' : withReason('参会报名不通过')(b)),
  },
  'event.participant.approve': { label: '通过参会报名', kind: 'event' },
  'event.check-in': {
    label: '现场签到', kind: 'event',
    describe: (b) => (b.state === 'no_show' ? '现场签到：标记未到场' : b.state === 'clear' ? '现场签到：撤销签到' : b.code ? '扫码签到' : '现场签到：标记已到场'),
  },
  'event.announce': { label: '通知日程变动', kind: 'event' },
  'event.meeting-request.place': { label: '安排现场约谈', kind: 'event' },
  'event.meeting-request.decline': { label: '不安排现场约谈', kind: 'event', describe: withReason('不安排现场约谈') },
  'event.participant.reject': { label: '参会报名不通过', kind: 'event' },
  'visit.create': { label: '创建企业调研/现场考察', kind: 'visit' },
  'visit.update': { label: '修改企业调研/现场考察', kind: 'visit' },
  'visit.phase': {
    label: '切换调研考察阶段', kind: 'visit',
    describe: (b) => `调研考察进入“${visitPhaseNames[text(b.to)] ?? text(b.to)}”阶段`,
  },
  'visit.registration.review': {
    label: '审核调研考察报名', kind: 'visit',
    refine: (b) => (b.decision === 'approve' ? 'visit.registration.approve' : 'visit.registration.reject'),
    describe: (b) => (b.decision === 'approve' ? '通过调研考察报名' : withReason('调研考察报名不通过')(b)),
  },
  'visit.registration.approve': { label: '通过调研考察报名', kind: 'visit' },
  'visit.registration.reject': { label: '调研考察报名不通过', kind: 'visit' },
  'visit.check-in': { label: '调研考察签到', kind: 'visit', describe: () => '调研考察按签到码签到' },
  'visit.registration.withdraw': { label: '退出调研考察', kind: 'visit', describe: () => '退出调研考察（名额释放）' },
  'visit.attendance': {
    label: '标记调研考察未到场', kind: 'visit',
    describe: (b) => (b.state === 'clear' ? '调研考察：撤销未到场标记' : '调研考察：标记未到场'),
  },
  'visit.outcome': {
    label: '登记调研考察结果', kind: 'visit',
    describe: (b) => `登记调研考察结果：${({ visited: '已参观', intent: '达成意向', signed: '已签约' } as Record<string, string>)[text(b.outcome)] ?? text(b.outcome)}`,
  },
  'list-batch.publish': {
    label: '发布推介清单批次', kind: 'batch',
    describe: (b) => (text(b.title) ? `发布推介清单批次：${text(b.title)}` : '发布推介清单批次'),
  },
  'list-batch.objection.answer': {
    label: '答复清单异议', kind: 'batch', param: 'number',
    describe: (b) => `答复清单异议：${b.outcome === 'upheld' ? '异议成立' : '异议不成立'}${text(b.text) ? `，${text(b.text)}` : ''}`,
  },
};

export const actionLabel = (code: string) => auditActions[code]?.label ?? code;

/** The codes a person can filter by (the refined ones, not the umbrellas that only routes name). */
export const filterableActions = Object.entries(auditActions)
  .filter(([code]) => code !== 'event.participant.review' && code !== 'visit.registration.review')
  .map(([code, a]) => ({ code, label: a.label }));
