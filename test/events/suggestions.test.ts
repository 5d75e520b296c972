/** Suggested pairs come from the matching engine: a buyer's demands against the event's vendors, with reasons. */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { seedSampleIndex } from '../../bench/relevance.js';
import { api, cjk, createEvent } from './support.js';

t.test('a buyer is suggested the registered vendors that match its demand, best first, with reasons; a vendor sees the buyer', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  await seedSampleIndex(app);
  const demand = (await app.models.Demand.findOne({ title: '公共视频监控前端设备更新（第一批1000路）' }).lean())!;
  const org = (await app.models.BuyerOrg.findById(demand.buyerOrg).lean())!;
  const matches = await app.matching.matchDemand(demand, { limit: 100 });
  t.ok(matches.length >= 3, 'the sample data has camera makers');
  const elevator = (await app.models.Vendor.findOne({ creditCode: '91330108MA2GXJ138R' }).lean())!; // 鸣川梯联: elevators
  t.notOk(matches.some((m) => m.vendor.id === String(elevator._id)), 'the elevator maker does not match cameras');

  const organizer = await createUser(app, 'organizer');
  const cookie = await login(app, organizer.email, organizer.password);
  const id = await createEvent(app, cookie);
  const chosen = matches.slice(0, 3);
  const participantOf = new Map<string, string>();
  for (const creditCode of [...chosen.map((m) => m.vendor.creditCode), elevator.creditCode]) {
    const res = await api(app, cookie, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor', vendorCreditCode: creditCode });
    t.equal(res.statusCode, 201);
    participantOf.set(creditCode, res.json().participantId);
  }
  const buyerRes = await api(app, cookie, 'POST', `/api/v1/events/${id}/participants`, {
    kind: 'buyer', buyer: { name: org.name, type: org.type, level: org.level, province: org.province }, demands: [String(demand._id)],
  });
  t.equal(buyerRes.statusCode, 201, buyerRes.body);
  const buyerId = buyerRes.json().participantId;

  const res = await api(app, cookie, 'GET', `/api/v1/events/${id}/participants/${buyerId}/suggestions`);
  t.equal(res.statusCode, 200);
  const suggestions = res.json().suggestions as Array<{ to: string; name: string; score: number; demand: { title: string }; reasons: Array<{ text: string }>; level?: string }>;
  t.same(suggestions.map((s) => s.to), chosen.map((m) => participantOf.get(m.vendor.creditCode)), 'exactly the matching registered vendors, in the engine\'s order');
  t.ok(suggestions.every((s) => s.demand.title === demand.title), 'each names the demand it comes from');
  t.ok(suggestions.every((s) => s.reasons.length > 0 && s.reasons.every((r) => cjk.test(r.text))), 'with Chinese reasons');
  t.notOk(suggestions.some((s) => s.to === participantOf.get(elevator.creditCode)), 'no unrelated vendor');

  // Accepting a suggestion turns it into a wish.
  const accept = await api(app, cookie, 'POST', `/api/v1/events/${id}/preferences`, { from: buyerId, to: suggestions[0].to, level: 'want', source: 'suggestion' });
  t.equal(accept.statusCode, 201);
  const after = (await api(app, cookie, 'GET', `/api/v1/events/${id}/participants/${buyerId}/suggestions`)).json().suggestions;
  t.equal(after[0].level, 'want', 'the accepted suggestion shows as a wish');
  t.equal((await app.models.EventPreference.findOne({ from: buyerId }).lean())?.source, 'suggestion');

  // The vendor's side (once the event is open to participants): the buyer whose demand it fits.
  t.equal((await api(app, cookie, 'POST', `/api/v1/events/${id}/phase`, { to: 'registration' })).statusCode, 200);
  const vendorUser = await createUser(app, 'vendor', { vendor: chosen[0].vendor.id });
  const vendorCookie = await login(app, vendorUser.email, vendorUser.password);
  const vendorSide = await api(app, vendorCookie, 'GET', `/api/v1/events/${id}/participants/${participantOf.get(chosen[0].vendor.creditCode)}/suggestions`);
  t.equal(vendorSide.statusCode, 200);
  t.same(vendorSide.json().suggestions.map((s: { to: string }) => s.to), [buyerId]);
  const elevatorSide = await api(app, cookie, 'GET', `/api/v1/events/${id}/participants/${participantOf.get(elevator.creditCode)}/suggestions`);
  t.same(elevatorSide.json().suggestions, [], 'nothing suggested to a vendor that fits no demand');
  t.equal((await api(app, vendorCookie, 'GET', `/api/v1/events/${id}/participants/${buyerId}/suggestions`)).statusCode, 404, "another participant's suggestions are not found");
});
