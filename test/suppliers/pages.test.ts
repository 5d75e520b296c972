/**
 * The vendor workbench and the organizer review pages through app.inject: who may see what, and the
 * whole loop from registering a company to an approved revision, as the pages show it.
 */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { approvedVendor, creditCode, getPage, postForm, productDoc, sectionAfter, textOf } from './pages-support.js';

const ENV = { LOGIN_RATE_LIMIT: '1000' };

t.test('vendor A can neither see nor change vendor B’s products, nor reach organizer pages', async (t) => {
  const app = await buildTestApp(t, ENV, { background: false });
  const { Vendor, Product } = app.models;
  const a = await Vendor.create(approvedVendor('甲安防科技有限公司', 1));
  const b = await Vendor.create(approvedVendor('乙视觉技术有限公司', 2));
  const bDraft = await Product.create(productDoc(b, '乙公司保密新品摄像机', 'B-SECRET-1'));
  const bPublished = await Product.create(productDoc(b, '乙公司网络摄像机', 'B-PUB-1', { status: 'published' }));
  const userA = await createUser(app, 'vendor', { vendor: a._id });
  const cookieA = await login(app, userA.email, userA.password);

  const dashboard = await getPage(app, '/vendor', cookieA);
  t.equal(dashboard.statusCode, 200);
  t.match(dashboard.body, '甲安防科技有限公司');
  t.notMatch(dashboard.body, '乙公司保密新品摄像机', 'B’s products are not listed on A’s dashboard');

  for (const product of [bDraft, bPublished]) {
    const id = String(product._id);
    t.equal((await getPage(app, `/vendor/products/${id}/edit`, cookieA)).statusCode, 404, 'edit page of B’s product is not found');
    t.equal((await getPage(app, `/vendor/products/${id}/history`, cookieA)).statusCode, 404, 'history of B’s product is not found');
    const edit = await postForm(app, `/vendor/products/${id}`, cookieA, { name: '被篡改的名称', model: 'HACK', category: 'video-surveillance' });
    t.equal(edit.statusCode, 404, 'posting an edit to B’s product is refused as not found');
    for (const action of ['submit', 'archive', 'restore']) {
      t.equal((await postForm(app, `/vendor/products/${id}/${action}`, cookieA)).statusCode, 404, `${action} on B’s product is not found`);
    }
  }
  const after = await Product.find({ vendor: b._id }).sort({ model: 1 }).lean();
  t.same(after.map((p) => [p.name, p.status]), [['乙公司网络摄像机', 'published'], ['乙公司保密新品摄像机', 'draft']], 'B’s products are unchanged');
  t.equal((await getPage(app, '/vendor/products/not-an-id/edit', cookieA)).statusCode, 404, 'a malformed id is simply not found');

  for (const url of ['/organizer/review', '/organizer/stale', `/organizer/vendors/${String(b._id)}`]) {
    const res = await getPage(app, url, cookieA);
    t.equal(res.statusCode, 403, `${url} is forbidden to a vendor`);
    t.match(res.body, '无权访问');
  }
  const publish = await postForm(app, `/organizer/vendors/${String(b._id)}/suspend`, cookieA, { reason: '恶意暂停' });
  t.equal(publish.statusCode, 403);
  t.equal((await Vendor.findById(b._id).lean())?.status, 'approved', 'B was not suspended');

  const guest = await getPage(app, '/organizer/review');
  t.equal(guest.statusCode, 303, 'a guest is sent to log in');
  t.match(String(guest.headers.location), /^\/login\?next=/);

  const organizer = await createUser(app, 'organizer');
  const cookieO = await login(app, organizer.email, organizer.password);
  t.equal((await getPage(app, '/vendor', cookieO)).statusCode, 403, 'the vendor workbench is for vendors');
});

t.test('forms post only with their CSRF token', async (t) => {
  const app = await buildTestApp(t, ENV, { background: false });
  const vendor = await app.models.Vendor.create(approvedVendor('丙智能有限公司', 3, { status: 'draft' }));
  const user = await createUser(app, 'vendor', { vendor: vendor._id });
  const cookie = await login(app, user.email, user.password);
  const res = await app.inject({ method: 'POST', url: '/vendor/submit', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'x=1' });
  t.equal(res.statusCode, 403);
  t.equal((await app.models.Vendor.findById(vendor._id).lean())?.status, 'draft', 'nothing changed');
});

t.test('the full loop through the pages: register, reject, fix, approve; product, publish, revision, history', async (t) => {
  const app = await buildTestApp(t, ENV, { background: false });
  const { Vendor, Product } = app.models;
  const vendorUser = await createUser(app, 'vendor', { name: '周供应' });
  const organizer = await createUser(app, 'organizer', { name: '吴主办' });
  const cv = await login(app, vendorUser.email, vendorUser.password);
  const co = await login(app, organizer.email, organizer.password);

  // 1. No company yet: the dashboard is the registration form.
  const empty = await getPage(app, '/vendor', cv);
  t.equal(empty.statusCode, 200);
  t.match(empty.body, '<h1>登记企业</h1>');

  const company = {
    name: '杭州滨江示范安防有限公司', creditCode: creditCode(42).slice(0, 17) + (creditCode(42).endsWith('0') ? '1' : '0'),
    province: '浙江省', city: '杭州市', district: '滨江区', fields: ['security'], certifications: ['zhejiang-made'],
    'contact.name': '周先生', 'contact.phone': '0571-8888 1234', 'contact.email': 'not-an-email',
  };
  const bad = await postForm(app, '/vendor/register', cv, company);
  t.equal(bad.statusCode, 400, 'a wrong check character is refused');
  t.match(bad.body, /id="e-creditCode">统一社会信用代码校验位不正确/, 'the credit-code error is shown next to the field');
  t.match(bad.body, /id="e-contact\.email">[^<]*邮箱/, 'the email error is shown next to its field');
  t.match(bad.body, 'value="杭州滨江示范安防有限公司"', 'what was typed is kept');
  t.match(bad.body, /value="security" checked/, 'ticked boxes stay ticked');
  t.equal(await Vendor.countDocuments(), 0, 'nothing was written');

  const ok = await postForm(app, '/vendor/register', cv, { ...company, creditCode: creditCode(42), 'contact.email': 'zhou@example.cn' });
  t.equal(ok.statusCode, 303);
  const vendor = await Vendor.findOne({ creditCode: creditCode(42) }).lean();
  t.equal(vendor?.status, 'draft');
  t.same(vendor?.contact, { name: '周先生', phone: '0571-8888 1234', email: 'zhou@example.cn' });
  const vendorId = String(vendor!._id);

  const draftPage = await getPage(app, '/vendor', cv);
  t.match(draftPage.body, '杭州滨江示范安防有限公司');
  t.match(draftPage.body, '草稿');
  t.match(draftPage.body, 'action="/vendor/submit"', 'a draft company can be submitted');

  // 2. Submit; the organizer rejects with a reason.
  t.equal((await postForm(app, '/vendor/submit', cv)).statusCode, 303);
  const queue = await getPage(app, '/organizer/review', co);
  t.equal(queue.statusCode, 200);
  t.match(sectionAfter(queue.body, '待审核企业'), '杭州滨江示范安防有限公司');
  const noReason = await postForm(app, `/organizer/vendors/${vendorId}/reject`, co, { reason: '' });
  t.equal(noReason.statusCode, 400, 'a rejection needs a reason');
  t.match(noReason.body, new RegExp(`id="e-reason-vendor-${vendorId}">请填写原因`), 'the reason error is shown next to that company');
  t.equal((await Vendor.findById(vendorId).lean())?.status, 'submitted');
  const rejected = await postForm(app, `/organizer/vendors/${vendorId}/reject`, co, { reason: '请补充详细地址<和>资质证书' });
  t.equal(rejected.statusCode, 303);
  t.equal(rejected.headers.location, '/organizer/review');

  // 3. The vendor sees the reason prominently (escaped), fixes the profile and resubmits.
  const seen = await getPage(app, '/vendor', cv);
  t.match(seen.body, /role="alert"><strong>企业资料被主办方退回：<\/strong>请补充详细地址&lt;和&gt;资质证书/);
  t.match(seen.body, 'action="/vendor/submit"', 'a rejected company can be resubmitted');
  const profile = await getPage(app, '/vendor/profile', cv);
  t.equal(profile.statusCode, 200);
  t.match(profile.body, 'value="周先生"', 'the profile form is filled in');
  const fixed = await postForm(app, '/vendor/profile', cv, {
    ...company, creditCode: 'ignored', 'contact.email': 'zhou@example.cn', address: '江南大道 100 号',
    'qualifications.0.certification': 'zhejiang-made', 'qualifications.0.number': 'ZJM-2024-001', 'qualifications.0.expiresAt': '2030-06-30',
    'qualifications.1.certification': '', 'qualifications.1.number': '', 'qualifications.1.expiresAt': '',
  });
  t.equal(fixed.statusCode, 303);
  const afterFix = await Vendor.findById(vendorId).lean();
  t.equal(afterFix?.address, '江南大道 100 号');
  t.equal(afterFix?.creditCode, creditCode(42), 'the credit code is not changed by the form');
  t.equal(afterFix?.qualifications.length, 1, 'empty qualification rows are ignored');
  t.equal(afterFix?.qualifications[0].number, 'ZJM-2024-001');
  t.equal((await postForm(app, '/vendor/submit', cv)).statusCode, 303);
  t.equal((await postForm(app, `/organizer/vendors/${vendorId}/approve`, co)).statusCode, 303);
  t.equal((await Vendor.findById(vendorId).lean())?.status, 'approved');
  t.match((await getPage(app, '/vendor', cv)).body, '已入库');

  // 4. A product: a form error first, shown inline, then fixed.
  const newForm = await getPage(app, '/vendor/products/new', cv);
  t.match(newForm.body, /<optgroup label="安防">/, 'categories are grouped by field');
  const product = {
    name: '星光级网络摄像机', model: 'BJ-IPC-400', description: '400 万像素，支持人脸抓拍',
    certifications: ['zhejiang-made'], priceMin: '1200', priceMax: '900',
    'specs.0.key': '分辨率', 'specs.0.value': '400万像素', 'specs.1.key': '', 'specs.1.value': '',
    specsText: '防护等级=IP67\n供电：PoE',
  };
  const badProduct = await postForm(app, '/vendor/products', cv, product);
  t.equal(badProduct.statusCode, 400);
  t.match(badProduct.body, /id="e-category">请选择产品类别/, 'the missing category is reported next to it');
  t.match(badProduct.body, 'value="星光级网络摄像机"', 'typed values are kept');
  t.match(badProduct.body, 'value="分辨率"', 'spec rows are kept');
  const badPrice = await postForm(app, '/vendor/products', cv, { ...product, category: 'video-surveillance' });
  t.equal(badPrice.statusCode, 400);
  t.match(badPrice.body, /id="e-priceMax">最低价不能高于最高价/, 'the price range error is next to the highest price');
  t.match(badPrice.body, /<option value="video-surveillance" selected>/, 'the chosen category stays selected');
  t.equal(await Product.countDocuments(), 0);
  const created = await postForm(app, '/vendor/products', cv, { ...product, category: 'video-surveillance', priceMax: '1800' });
  t.equal(created.statusCode, 303);
  const stored = await Product.findOne({ model: 'BJ-IPC-400' }).lean();
  t.ok(stored);
  const productId = String(stored!._id);
  t.equal(created.headers.location, `/vendor/products/${productId}/edit`);
  t.same(stored!.specs.map((s) => [s.key, s.value]), [['分辨率', '400万像素'], ['防护等级', 'IP67'], ['供电', 'PoE']], 'spec rows and pasted lines are both kept');
  t.equal(stored!.field, 'security');

  // 5. Submit; the organizer publishes.
  t.equal((await postForm(app, `/vendor/products/${productId}/submit`, cv)).statusCode, 303);
  t.match(sectionAfter((await getPage(app, '/organizer/review', co)).body, '待发布产品'), '星光级网络摄像机');
  t.equal((await postForm(app, `/organizer/products/${productId}/publish`, co)).statusCode, 303);
  t.equal((await Product.findById(productId).lean())?.status, 'published');

  // 6. An edit to the published product waits for review; the public keeps the old values.
  const editPage = await getPage(app, `/vendor/products/${productId}/edit`, cv);
  t.match(editPage.body, '修改将在主办方审核后生效');
  const edited = await postForm(app, `/vendor/products/${productId}`, cv, {
    ...product, category: 'video-surveillance', name: '星光级全彩网络摄像机', priceMax: '1800', priceMin: '1100', specsText: '防护等级=IP67\n供电：PoE',
  });
  t.equal(edited.statusCode, 303);
  const pending = await Product.findById(productId).lean();
  t.equal(pending?.name, '星光级网络摄像机', 'the published name is unchanged');
  t.equal(pending?.priceMin, 1200, 'the published price is unchanged');
  t.ok(pending?.pendingRevision, 'the edit waits as a pending revision');
  const notice = await getPage(app, `/vendor/products/${productId}/edit`, cv);
  t.match(notice.body, '待审核的修改');
  t.match(notice.body, 'value="星光级全彩网络摄像机"', 'the form continues from the proposed values');
  t.match(textOf((await getPage(app, '/vendor', cv)).body), '产品“星光级网络摄像机”的修改正在等待主办方审核', 'the dashboard reminds of the pending revision');

  // 7. The organizer sees a field-by-field diff and approves.
  const review = await getPage(app, '/organizer/review', co);
  const diff = textOf(sectionAfter(review.body, `id="revision-${productId}"`));
  t.match(diff, '名称 星光级网络摄像机 星光级全彩网络摄像机', 'the name row shows current and proposed values');
  t.match(diff, '最低价（元） 1,200 元 1,100 元', 'the price row is readable');
  t.notMatch(diff, '规格参数', 'unchanged fields are not listed');
  t.equal((await postForm(app, `/organizer/products/${productId}/revision/approve`, co)).statusCode, 303);
  const approved = await Product.findById(productId).lean();
  t.equal(approved?.name, '星光级全彩网络摄像机');
  t.equal(approved?.priceMin, 1100);
  t.notOk(approved?.pendingRevision, 'no revision is pending any more');

  // 8. A second revision is rejected with a reason the vendor sees; nothing public changes.
  await postForm(app, `/vendor/products/${productId}`, cv, { ...product, category: 'video-surveillance', name: '夸大宣传的名称', priceMax: '1800', priceMin: '1100', specsText: '防护等级=IP67\n供电：PoE' });
  t.equal((await postForm(app, `/organizer/products/${productId}/revision/reject`, co, { reason: '名称与检测报告不符' })).statusCode, 303);
  t.equal((await Product.findById(productId).lean())?.name, '星光级全彩网络摄像机');
  t.match(textOf((await getPage(app, '/vendor', cv)).body), '修改未通过审核：名称与检测报告不符');

  // 9. The history pages list every step.
  const productHistory = textOf((await getPage(app, `/vendor/products/${productId}/history`, cv)).body);
  for (const step of ['创建', '提交审核', '发布', '提交修改', '通过修改', '退回修改']) t.match(productHistory, step, `product history shows ${step}`);
  t.match(productHistory, '名称 星光级网络摄像机 星光级全彩网络摄像机', 'with the field before and after');
  t.match(productHistory, '吴主办', 'and who did it');
  const companyHistory = textOf((await getPage(app, '/vendor/history', cv)).body);
  t.match(companyHistory, '退回');
  t.match(companyHistory, '原因：请补充详细地址<和>资质证书');
  t.match(companyHistory, '地址 — 江南大道 100 号', 'the profile fix is listed with before and after');
  t.match(companyHistory, '资质证书 — 品字标“浙江制造” 编号 ZJM-2024-001 有效期至 2030-06-30');
  t.match(companyHistory, '产品 星光级全彩网络摄像机（BJ-IPC-400）', 'product steps name their product');
  const detail = await getPage(app, `/organizer/vendors/${vendorId}`, co);
  t.equal(detail.statusCode, 200);
  t.match(textOf(detail.body), '审核通过');
  t.match(textOf(detail.body), '星光级全彩网络摄像机');

  // 10. Suspending needs a reason; the vendor then sees it.
  const noSuspendReason = await postForm(app, `/organizer/vendors/${vendorId}/suspend`, co, { reason: ' ', back: `/organizer/vendors/${vendorId}` });
  t.equal(noSuspendReason.statusCode, 400);
  t.match(noSuspendReason.body, /id="e-suspend-reason">/);
  const suspended = await postForm(app, `/organizer/vendors/${vendorId}/suspend`, co, { reason: '资质证书被吊销', back: `/organizer/vendors/${vendorId}` });
  t.equal(suspended.statusCode, 303);
  t.equal(suspended.headers.location, `/organizer/vendors/${vendorId}`);
  t.match((await getPage(app, '/vendor', cv)).body, /企业已被主办方暂停：<\/strong>资质证书被吊销/);
});

t.test('product actions: archive and restore from the dashboard; a duplicate model is an inline error', async (t) => {
  const app = await buildTestApp(t, ENV, { background: false });
  const vendor = await app.models.Vendor.create(approvedVendor('丁教育装备有限公司', 7, { fields: ['education'] }));
  const user = await createUser(app, 'vendor', { vendor: vendor._id });
  const cookie = await login(app, user.email, user.password);
  const p = await app.models.Product.create(productDoc(vendor, '午休课桌椅', 'KZY-01', { category: 'school-furniture', field: 'education' }));
  t.equal((await postForm(app, `/vendor/products/${String(p._id)}/archive`, cookie)).statusCode, 303);
  t.match((await getPage(app, '/vendor', cookie)).body, 'action="/vendor/products/' + String(p._id) + '/restore"');
  t.equal((await postForm(app, `/vendor/products/${String(p._id)}/restore`, cookie)).statusCode, 303);
  t.equal((await app.models.Product.findById(p._id).lean())?.status, 'draft');
  const again = await postForm(app, `/vendor/products/${String(p._id)}/restore`, cookie);
  t.equal(again.statusCode, 303, 'an action that does not apply is explained, not an error page');
  t.match(textOf((await getPage(app, '/vendor', cookie)).body), '不能恢复为草稿');

  const dup = await postForm(app, '/vendor/products', cookie, { name: '另一款课桌椅', model: 'KZY-01', category: 'school-furniture' });
  t.equal(dup.statusCode, 409);
  t.match(dup.body, '型号 KZY-01 已存在');
  t.equal(await app.models.Product.countDocuments(), 1);
});
