/**
 * Nothing public without review: an approved vendor's change to its name, region, fields, certifications
 * or certificates waits for an organizer; the public profile, search's certification filter and
 * matching's hard certification filter keep the approved values until then. Certificates carry their
 * evidence (number, issuer, validity, a scan checked by content) and the reviewer sees it beside the diff.
 */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { addProduct, addVendor, searchApi } from '../search/fixtures.js';
import { getPage, postForm, textOf } from './pages-support.js';

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from('1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n')]);

function multipart(field: string, filename: string, content: Buffer, type: string) {
  const boundary = '----review-claims-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

t.test('an approved vendor’s claims wait for review; evidence goes with them', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const vendor = await addVendor(app, { name: '滨江原名科技有限公司', certifications: ['iso9001'] });
  await addProduct(app, vendor, { name: '高清网络摄像机', model: 'RC-IPC-1', category: 'video-surveillance', description: '400 万像素' });
  await app.searchSync.drain();
  const vendorId = String(vendor._id);
  const other = await addVendor(app, { name: '别家科技有限公司' });

  const vendorUser = await createUser(app, 'vendor', { vendor: vendor._id, name: '供应商张三' });
  const vendorCookie = await login(app, vendorUser.email, vendorUser.password);
  const token = (await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie: vendorCookie }, payload: {} })).json().token as string;
  const asVendor = { authorization: `Bearer ${token}` };
  const organizer = await createUser(app, 'organizer', { name: '主办方王主任' });
  const orgCookie = await login(app, organizer.email, organizer.password);
  const otherUser = await createUser(app, 'vendor', { vendor: other._id });
  const otherToken = (await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie: await login(app, otherUser.email, otherUser.password) }, payload: {} })).json().token as string;

  const publicProfile = async () => (await app.inject({ url: `/api/v1/vendors/${vendorId}` })).json().vendor;
  const upload = (file: Buffer, type: string, headers = asVendor, id = vendorId) => {
    const m = multipart('file', 'certificate.pdf', file, type);
    return app.inject({ method: 'POST', url: `/api/v1/vendors/${id}/evidence`, headers: { ...headers, 'content-type': m.type }, payload: m.body });
  };
  const scansStored = () => app.conn.db!.collection('uploads.files').countDocuments({ 'metadata.kind': 'evidence' });

  // Evidence: checked by content before it is stored.
  const fake = await upload(Buffer.from('<html>not a certificate</html>'), 'application/pdf');
  t.equal(fake.statusCode, 415, 'a file that is not a PDF or image is refused whatever it claims to be');
  t.match(fake.json().message, /PDF/);
  t.equal(await scansStored(), 0, 'and nothing is stored');
  t.equal((await upload(PDF, 'application/pdf', asVendor, String(other._id))).statusCode, 404, 'no uploads to another company');
  const uploaded = await upload(PDF, 'application/pdf');
  t.equal(uploaded.statusCode, 201, uploaded.body);
  const scanId = uploaded.json().fileId as string;
  const foreignScan = (await upload(PDF, 'application/pdf', { authorization: `Bearer ${otherToken}` }, String(other._id))).json().fileId as string;

  t.equal((await app.inject({ url: `/files/${scanId}` })).statusCode, 404, 'a scan is never public');
  t.equal((await app.inject({ url: `/files/${scanId}`, headers: { authorization: `Bearer ${otherToken}` } })).statusCode, 404, 'nor another vendor’s');
  t.equal((await app.inject({ url: `/files/${scanId}`, headers: { cookie: orgCookie } })).statusCode, 200, 'the reviewer reads it');

  const current = (await app.inject({ url: `/api/v1/vendors/${vendorId}`, headers: asVendor })).json().vendor;
  const base = {
    name: current.name, creditCode: current.creditCode, province: current.province, city: current.city, district: current.district,
    fields: current.fields, certifications: current.certifications, contact: current.contact ?? {}, qualifications: [],
  };
  const proposal = {
    ...base,
    name: '滨江新名科技有限公司',
    fields: ['security', 'medical'],
    certifications: ['iso9001', 'first-set-provincial'],
    qualifications: [{ certification: 'first-set-provincial', number: 'ZJ-2026-0815', issuer: '浙江省经济和信息化厅', validFrom: '2026-01-01', expiresAt: '2029-12-31', scanFileId: scanId }],
    contact: { name: '李四', phone: '0571-88886666' },
    description: '专注视频监控二十年',
  };

  const stolen = await app.inject({ method: 'PUT', url: `/api/v1/vendors/${vendorId}`, headers: asVendor, payload: { ...proposal, qualifications: [{ ...proposal.qualifications[0], scanFileId: foreignScan }] } });
  t.equal(stolen.statusCode, 400, 'a scan of another company cannot be attached');
  t.match(stolen.json().message, /扫描件/);
  t.equal((await publicProfile()).contact, undefined, 'and nothing was written, not even the self-service part');

  const put = await app.inject({ method: 'PUT', url: `/api/v1/vendors/${vendorId}`, headers: asVendor, payload: proposal });
  t.equal(put.statusCode, 200, put.body);
  t.equal(put.json().pending, true, 'the claims wait for review');
  t.same(Object.keys(put.json().vendor.pendingRevision.changes).sort(), ['certifications', 'fields', 'name', 'qualifications']);

  const shown = await publicProfile();
  t.equal(shown.name, '滨江原名科技有限公司', 'the public profile keeps the approved name');
  t.same(shown.certifications, ['iso9001']);
  t.same(shown.fields, ['security']);
  t.notOk('pendingRevision' in shown, 'the public does not see the proposal');
  t.match(shown.contact, { name: '李四', phone: '0571-88886666' }, 'contact details are self-service');
  t.equal(shown.description, '专注视频监控二十年');

  await app.searchSync.drain();
  t.equal((await searchApi(app, { certification: 'first-set-provincial' })).total, 0, 'search’s certification filter is unchanged');
  t.equal((await searchApi(app, { q: '摄像机' })).hits[0].vendor.name, '滨江原名科技有限公司');
  const strict = await app.matching.matchDemand({ title: '高清网络摄像机', requiredCertifications: ['first-set-provincial'] });
  t.same(strict, [], 'matching’s hard filter is unchanged');

  const history = (await app.inject({ url: `/api/v1/vendors/${vendorId}/history`, headers: asVendor })).json().entries as Array<{ action: string; changes: Array<{ field: string }> }>;
  t.same(history.find((e) => e.action === 'update')?.changes.map((c) => c.field).sort(), ['contact', 'description'], 'self-service edits are in history');
  t.same(history.find((e) => e.action === 'propose')?.changes.map((c) => c.field).sort(), ['certifications', 'fields', 'name', 'qualifications']);

  // The reviewer sees the diff and the evidence beside it.
  const queue = (await app.inject({ url: '/api/v1/review', headers: { cookie: orgCookie } })).json();
  t.same(queue.vendorRevisions.map((v: { id: string }) => v.id), [vendorId]);
  const page = await getPage(app, '/organizer/review', orgCookie);
  const text = textOf(page.body);
  t.match(text, /已入库企业的资料修改（1）/);
  t.match(text, /名称 滨江原名科技有限公司 滨江新名科技有限公司/, 'field by field');
  t.match(text, /省级首台（套）产品 ZJ-2026-0815.*浙江省经济和信息化厅.*2026-01-01 至 2029-12-31/, 'the certificate and its evidence');
  t.match(page.body, new RegExp(`href="/files/${scanId}"`), 'with a link to the scan');

  const approve = await app.inject({ method: 'POST', url: `/api/v1/vendors/${vendorId}/revision/approve`, headers: { cookie: orgCookie, 'content-type': 'application/json' }, payload: {} });
  t.equal(approve.statusCode, 200, approve.body);
  const approved = await publicProfile();
  t.equal(approved.name, '滨江新名科技有限公司');
  t.same(approved.certifications, ['iso9001', 'first-set-provincial']);
  t.match(approved.qualifications[0], { certification: 'first-set-provincial', number: 'ZJ-2026-0815', verifiedBy: { name: '主办方王主任' } });
  t.ok(approved.qualifications[0].verifiedAt, 'the certificate is stamped as verified');
  t.notOk('scan' in approved.qualifications[0], 'the scan stays private');
  await app.searchSync.drain();
  t.equal((await searchApi(app, { certification: 'first-set-provincial' })).total, 1, 'search counts it once approved');
  t.equal((await app.matching.matchDemand({ title: '高清网络摄像机', requiredCertifications: ['first-set-provincial'] }))[0]?.vendor.id, vendorId, 'and so does matching');
});

t.test('rejecting, withdrawing, staff edits, and the profile page', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const vendor = await addVendor(app, { name: '滨江审核测试有限公司', certifications: ['iso9001'] });
  const vendorId = String(vendor._id);
  const vendorUser = await createUser(app, 'vendor', { vendor: vendor._id });
  const vendorCookie = await login(app, vendorUser.email, vendorUser.password);
  const organizer = await createUser(app, 'organizer');
  const orgCookie = await login(app, organizer.email, organizer.password);
  const json = (cookie: string) => ({ cookie, 'content-type': 'application/json' });
  const body = (extra: Record<string, unknown>) => ({ name: '滨江审核测试有限公司', creditCode: vendor.creditCode, province: '浙江省', city: '杭州市', district: '滨江区', fields: ['security'], certifications: ['iso9001'], ...extra });
  const stored = () => app.models.Vendor.findById(vendorId).lean();

  t.equal((await app.inject({ method: 'PUT', url: `/api/v1/vendors/${vendorId}`, headers: json(vendorCookie), payload: body({ district: '西湖区' }) })).json().pending, true);
  const reject = await app.inject({ method: 'POST', url: `/api/v1/vendors/${vendorId}/revision/reject`, headers: json(orgCookie), payload: { reason: '注册地址仍在滨江区' } });
  t.equal(reject.statusCode, 200);
  t.match(await stored(), { district: '滨江区', reviewNote: '注册地址仍在滨江区' });
  t.notOk((await stored())?.pendingRevision, 'the proposal is gone');
  const dashboard = textOf((await getPage(app, '/vendor', vendorCookie)).body);
  t.match(dashboard, /企业资料的修改未通过审核：注册地址仍在滨江区/, 'the vendor sees why');
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/vendors/${vendorId}/revision/approve`, headers: json(orgCookie), payload: {} })).statusCode, 409, 'nothing left to approve');
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/vendors/${vendorId}/revision/approve`, headers: json(vendorCookie), payload: {} })).statusCode, 403, 'a vendor cannot approve itself');

  await app.inject({ method: 'PUT', url: `/api/v1/vendors/${vendorId}`, headers: json(vendorCookie), payload: body({ name: '另一个名字有限公司' }) });
  t.ok((await stored())?.pendingRevision);
  const back = await app.inject({ method: 'PUT', url: `/api/v1/vendors/${vendorId}`, headers: json(vendorCookie), payload: body({}) });
  t.equal(back.json().pending, false, 'setting the values back withdraws the proposal');
  t.notOk((await stored())?.pendingRevision);

  const staff = await app.inject({ method: 'PUT', url: `/api/v1/vendors/${vendorId}`, headers: json(orgCookie), payload: body({ certifications: ['iso9001', 'high-tech'], qualifications: [{ certification: 'high-tech', number: 'GR202633001234' }] }) });
  t.equal(staff.json().pending, false, 'an organizer’s own edit is a review');
  t.match((await stored())?.qualifications[0], { certification: 'high-tech', verifiedBy: { id: organizer.id } });

  // The profile page: the same rule for the form, and the pending values shown back to the vendor.
  const form = await postForm(app, '/vendor/profile', vendorCookie, {
    name: '页面改名有限公司', province: '浙江省', city: '杭州市', district: '滨江区', fields: 'security', certifications: ['iso9001', 'high-tech'],
    'qualifications.0.certification': 'high-tech', 'qualifications.0.number': 'GR202633001234', 'contact.name': '王五',
  });
  t.equal(form.statusCode, 303);
  const after = await stored();
  t.equal(after?.name, '滨江审核测试有限公司', 'the name waits');
  t.equal(after?.contact?.name, '王五', 'the contact does not');
  const profile = await getPage(app, '/vendor/profile', vendorCookie);
  t.match(textOf(profile.body), /等待主办方审核.*名称/);
  t.match(profile.body, /value="页面改名有限公司"/, 'the form shows the proposal');
  t.match(profile.body, /已核验/, 'the verified certificate is marked');
});
