/**
 * Website and e-mail on the vendor pages are links: a website only when it is http(s), an e-mail as mailto:;
 * anything else stays text (src/web/links.ts), on the public company page and the organizers' one.
 */
import t from 'tap';
import { mailHref, websiteHref } from '../../src/web/links.js';
import { buildTestApp, createUser, login } from '../helper.js';
import { addVendor } from '../search/fixtures.js';

t.test('which values become links', async (t) => {
  t.equal(websiteHref('https://www.binan.example.com'), 'https://www.binan.example.com/');
  t.equal(websiteHref('http://binan.example.com/about'), 'http://binan.example.com/about');
  t.equal(websiteHref('javascript:alert(1)'), '', 'no script addresses');
  t.equal(websiteHref('www.binan.example.com'), '', 'no scheme: not a link');
  t.equal(websiteHref('ftp://binan.example.com'), '');
  t.equal(mailHref('sales@binan.example.com'), 'mailto:sales@binan.example.com');
  t.equal(mailHref('sales@binan'), '');
  t.equal(mailHref('a@b.cn?subject=x"'), '');
});

t.test('the company pages link the website and the e-mail', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const good = await addVendor(app, { name: '杭州滨安视讯科技有限公司' });
  await app.models.Vendor.updateOne({ _id: good._id }, { $set: { website: 'https://www.binan.example.com', contact: { name: '李经理', phone: '0571-88880000', email: 'sales@binan.example.com' } } });
  const bad = await addVendor(app, { name: '浙江江南安防系统有限公司' });
  // Typed before the form checked addresses: shown, never linked.
  await app.models.Vendor.updateOne({ _id: bad._id }, { $set: { website: 'javascript:alert(1)', contact: { name: '王工', email: 'not-an-email' } } });

  const page = (await app.inject({ method: 'GET', url: `/directory/vendors/${String(good._id)}` })).body;
  t.match(page, '<a href="https://www.binan.example.com/" rel="noopener noreferrer nofollow">https://www.binan.example.com</a>', 'the website is a link');
  t.match(page, '<a href="mailto:sales@binan.example.com">sales@binan.example.com</a>', 'the e-mail is a mailto: link');
  const badPage = (await app.inject({ method: 'GET', url: `/directory/vendors/${String(bad._id)}` })).body;
  t.notMatch(badPage, /href="javascript:/, 'a script address is not linked');
  t.match(badPage, 'javascript:alert(1)', 'but shown as typed');
  t.notMatch(badPage, /mailto:not-an-email/);

  const organizer = await createUser(app, 'organizer');
  const cookie = await login(app, organizer.email, organizer.password);
  const staffPage = (await app.inject({ method: 'GET', url: `/organizer/vendors/${String(good._id)}`, headers: { cookie } })).body;
  t.match(staffPage, 'href="https://www.binan.example.com/"');
  t.match(staffPage, 'href="mailto:sales@binan.example.com"');
  const staffBad = (await app.inject({ method: 'GET', url: `/organizer/vendors/${String(bad._id)}`, headers: { cookie } })).body;
  t.notMatch(staffBad, /href="javascript:/, 'the organizers\' page no longer links a script address');
});
