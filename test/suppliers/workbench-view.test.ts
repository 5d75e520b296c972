/**
 * The vendor workbench's view models (src/suppliers/pages-vendor.ts): the freshness panel, the reminders and
 * the page's view, as a vendor sees them. Pure: no server, no database; the clock is an argument.
 */
import t from 'tap';
import { freshnessPanel, vendorReminders, workbenchView } from '../../src/suppliers/pages-vendor.js';

const DAY = 86_400_000;
const policy = { days: 90, graceDays: 30 };
const now = new Date('2026-06-01T04:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * DAY);
const daysAhead = (n: number) => new Date(now.getTime() + n * DAY);

type Vendor = Parameters<typeof workbenchView>[0];
type Product = Parameters<typeof workbenchView>[1][number];

/** An approved company confirmed ten days ago, with nothing waiting: the quiet case. */
function vendor(over: Record<string, unknown> = {}): Vendor {
  return {
    _id: 'a'.repeat(24), name: '杭州示例机床有限公司', creditCode: '91330108MA2XXXXX1X', status: 'approved', confirmedAt: daysAgo(10),
    certifications: [], qualifications: [], contact: { name: '张三', phone: '0571-88888888' }, ...over,
  } as unknown as Vendor;
}
function product(over: Record<string, unknown> = {}): Product {
  return { _id: 'b'.repeat(24), name: '五轴加工中心', model: 'VMC-5', category: 'machine-tool', status: 'published', ...over } as unknown as Product;
}
const remindersOf = (v: Vendor, products: Product[] = []) => vendorReminders(v, products, freshnessPanel(v, now, policy), now);

t.test('freshness panel: where the company stands and how many days are left', async (t) => {
  const never = freshnessPanel({ confirmedAt: null }, now, policy);
  t.same(never, { unstarted: true, policyDays: 90 }, 'never confirmed: the panel only explains the rule');

  const fresh = freshnessPanel({ confirmedAt: daysAgo(10) }, now, policy);
  t.match(fresh, { state: 'current', stateName: '信息有效', isStale: false, isHidden: false, daysLeft: 80, policyDays: 90, graceDays: 30 });
  t.same(fresh.dueAt, daysAhead(80), 'due 90 days after the confirmation');
  t.same(fresh.hiddenAt, daysAhead(110), 'hidden 30 days after that');

  t.equal(freshnessPanel({ confirmedAt: daysAgo(10.5) }, now, policy).daysLeft, 80, 'a part day left counts as a day');
  t.match(freshnessPanel({ confirmedAt: daysAgo(90) }, now, policy), { state: 'current', daysLeft: 0 }, 'the last day is still current');
  t.match(freshnessPanel({ confirmedAt: daysAgo(100) }, now, policy), { state: 'stale', stateName: '待更新', isStale: true, isHidden: false, daysLeft: 0 });
  t.match(freshnessPanel({ confirmedAt: daysAgo(121) }, now, policy), { state: 'hidden', stateName: '已暂停展示', isStale: false, isHidden: true, daysLeft: 0 });
});

t.test('reminders: a confirmed, approved company with nothing pending has none', async (t) => {
  t.same(remindersOf(vendor(), [product()]), []);
});

t.test('reminders: the company itself', async (t) => {
  const draft = remindersOf(vendor({ status: 'draft', confirmedAt: null }));
  t.equal(draft.length, 1, 'a draft is reminded to submit, not told it is stale');
  t.match(draft[0], { kind: 'info', text: /尚未提交审核/ });

  const stale = remindersOf(vendor({ confirmedAt: daysAgo(100) }));
  t.equal(stale.length, 1);
  t.match(stale[0], { kind: 'warn', text: /超过 90 天未确认.*确认信息有效/ });

  const hidden = remindersOf(vendor({ confirmedAt: daysAgo(200) }));
  t.equal(hidden.length, 1, 'hidden replaces stale, not both');
  t.match(hidden[0], { kind: 'error', text: /已暂停在推介清单中展示/ });

  const pending = remindersOf(vendor({ pendingRevision: { changes: [] }, reviewNote: '旧的退回意见' }));
  t.equal(pending.length, 1, 'a pending revision hides the note of an earlier refusal');
  t.match(pending[0], { kind: 'info', text: /等待主办方审核/, href: '/vendor/profile' });

  const refused = remindersOf(vendor({ reviewNote: '营业执照照片不清晰' }));
  t.match(refused, [{ kind: 'warn', text: '企业资料的修改未通过审核：营业执照照片不清晰', href: '/vendor/profile' }]);
  t.same(remindersOf(vendor({ status: 'rejected', reviewNote: '资料不全' })), [], 'a rejected company sees its note on the status panel, not as a reminder');
});

t.test('reminders: certificates that expired or expire within 30 days', async (t) => {
  const list = remindersOf(vendor({
    qualifications: [
      { certification: 'zhejiang-made', number: 'ZJ-001', expiresAt: new Date('2026-05-01T00:00:00Z') },
      { certification: 'specialized-new', expiresAt: daysAhead(30) },
      { certification: 'standard-leader', expiresAt: daysAhead(31) },
      { certification: 'first-set-provincial' },
    ],
  }));
  t.equal(list.length, 2, 'only the expired one and the one due within 30 days');
  t.match(list[0], { kind: 'error', text: '资质证书 品字标“浙江制造”（ZJ-001） 已于 2026-05-01 过期，不再计入认证，请更新证书信息。', href: '/vendor/profile' });
  t.match(list[1], { kind: 'warn', text: /^资质证书 专精特新 将于 \d{4}-\d{2}-\d{2} 到期。$/ });
});

t.test('reminders: products returned, waiting or refused, after the company', async (t) => {
  const list = remindersOf(vendor({ confirmedAt: daysAgo(100) }), [
    product({ _id: '1'.repeat(24), name: '返回的', status: 'draft', reviewNote: '缺少价格' }),
    product({ _id: '2'.repeat(24), name: '待审的', pendingRevision: { changes: [] } }),
    product({ _id: '3'.repeat(24), name: '被拒的', reviewNote: '型号有误' }),
    product({ _id: '4'.repeat(24), name: '草稿', status: 'draft' }),
  ]);
  t.same(list.map((r) => r.kind), ['warn', 'error', 'info', 'warn'], 'the stale company first, then one per product needing attention');
  t.match(list[1], { text: '产品“返回的”被退回：缺少价格。修改后请重新提交审核。', href: `/vendor/products/${'1'.repeat(24)}/edit` });
  t.match(list[2], { text: '产品“待审的”的修改正在等待主办方审核。' });
  t.match(list[3], { text: '产品“被拒的”的修改未通过审核：型号有误' });
  t.notOk(list.some((r) => r.text.includes('草稿')), 'a plain draft is no reminder');
});

t.test('workbench view: status, certificates and the product table', async (t) => {
  const view = workbenchView(vendor({
    certifications: ['zhejiang-made', 'specialized-new'],
    qualifications: [{ certification: 'specialized-new', expiresAt: daysAgo(1) }],
  }), [
    product(),
    product({ _id: '5'.repeat(24), name: '退回件', status: 'draft', reviewNote: '缺少图片' }),
    product({ _id: '6'.repeat(24), name: '旧型号', status: 'archived' }),
  ], now, policy);

  t.equal(view.title, '我的企业');
  t.match(view.vendor, { id: 'a'.repeat(24), statusName: '已入库', canSubmit: false, isSubmitted: false, isRejected: false, isSuspended: false });
  t.same(view.vendor.certificationNames, ['品字标“浙江制造”'], 'an expired certificate no longer counts');
  t.same(view.vendor.expiredCertificationNames, ['专精特新']);
  t.match(view.vendor.contactText, /张三/);
  t.match(view.freshness, { state: 'current', daysLeft: 80 });
  t.equal(view.reminders.length, 2, 'the expired certificate and the returned product');

  t.same(view.products.map((p) => p.statusName), ['已发布', '已退回', '已归档']);
  t.same(view.products.map((p) => [p.canSubmit, p.canArchive, p.canRestore]), [[false, true, false], [true, true, false], [false, false, true]]);
  t.equal(view.products[0].category, '数控机床与工业母机', 'the category by its Chinese name');

  for (const status of ['draft', 'rejected'] as const) {
    t.ok(workbenchView(vendor({ status }), [], now, policy).vendor.canSubmit, `a ${status} company may submit`);
  }
  const submitted = workbenchView(vendor({ status: 'submitted' }), [], now, policy);
  t.match(submitted.vendor, { statusName: '待审核', isSubmitted: true, canSubmit: false });
  t.same(submitted.products, []);
});
