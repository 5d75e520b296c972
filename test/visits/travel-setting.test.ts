/**
 * The default travel time between stops is a setting (VISIT_TRAVEL_MINUTES): validated at start with a
 * Chinese message naming the variable, 30 minutes when unset; set to 60, a route leaving 40 minutes
 * between stops without a travel time of its own is refused naming the 60 minutes, and the route form
 * says what the default is.
 */
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { buildTestApp } from '../helper.js';
import { getPage, textOf } from '../suppliers/pages-support.js';
import { api, eventWorld, visitBody } from './support.js';

t.test('VISIT_TRAVEL_MINUTES: default 30, validated at start', async (t) => {
  t.equal(loadConfig({}).VISIT_TRAVEL_MINUTES, 30);
  t.equal(loadConfig({ VISIT_TRAVEL_MINUTES: '45' }).VISIT_TRAVEL_MINUTES, 45);
  for (const bad of ['-5', '半小时', '12.5', '601']) {
    t.throws(() => loadConfig({ VISIT_TRAVEL_MINUTES: bad }), /环境变量 VISIT_TRAVEL_MINUTES 的值无效/, bad);
  }
});

t.test('the setting decides the default travel time of routes, and the form says it', async (t) => {
  const app = await buildTestApp(t, { VISIT_TRAVEL_MINUTES: '60' }, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const body = visitBody(w);
  // 10:00 → 10:40: 40 minutes, enough under the old constant (30), not under the setting (60).
  body.stops[1] = { ...body.stops[1], travelMinutes: undefined };
  const refused = await api(app, w.cookies.organizer, 'POST', '/api/v1/visits', body);
  t.equal(refused.statusCode, 400, refused.body);
  t.match(refused.json().message, /中间只有 40 分钟，不足路程所需的 60 分钟/);
  t.equal(await app.models.Visit.countDocuments(), 0, 'nothing written');

  // A travel time given on the stop still wins over the default.
  body.stops[1] = { ...body.stops[1], travelMinutes: 40 };
  t.equal((await api(app, w.cookies.organizer, 'POST', '/api/v1/visits', body)).statusCode, 201);

  const form = await getPage(app, '/organizer/visits/new', w.cookies.organizer);
  t.match(textOf(form.body), /不填按 60 分钟计/);
  t.match(form.body, /name="s1_travel"[^>]*placeholder="60"/);
});
