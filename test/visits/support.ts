/** A small world for visit tests: the event world (approved vendors, buyer organizations with open demands, users) and visit helpers. */
import type { FastifyInstance } from 'fastify';
import { api, eventWorld, type EventWorld } from '../events/support.js';

export { api, eventWorld, type EventWorld };

export const cjk = /\p{Script=Han}/u;

/** A survey visit to the first two vendors of the world: 09:00–10:00 and 10:40–11:40 (40 minutes on the road). */
/** Stops as the API takes them (every field a test may change or leave out). */
export interface StopBody { vendor?: string; vendorCreditCode?: string; place?: string; address: string; start: string; end: string; travelMinutes?: number; shows?: string }

export function visitBody(w: EventWorld, extra: Record<string, unknown> = {}): { stops: StopBody[]; [key: string]: unknown } {
  return {
    kind: 'survey', title: '滨江区安防企业调研', date: '2027-04-08', field: 'security', capacity: 5,
    meetingPoint: '滨江区政府东门', description: '走访两家安防企业，看产线和展厅。',
    stops: [
      { vendorCreditCode: w.vendors[0].creditCode, address: '滨江区江南大道 1 号', start: '09:00', end: '10:00', shows: '视频监控产线' },
      { vendor: String(w.vendors[1]._id), address: '滨江区网商路 2 号', start: '10:40', end: '11:40', travelMinutes: 30, shows: '展厅与样板间' },
    ],
    ...extra,
  };
}

export async function createVisit(app: FastifyInstance, cookie: string, body: Record<string, unknown>): Promise<string> {
  const res = await api(app, cookie, 'POST', '/api/v1/visits', body);
  if (res.statusCode !== 201) throw new Error(`create visit failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

/** A visit open for registration. */
export async function openVisit(app: FastifyInstance, w: EventWorld, extra: Record<string, unknown> = {}): Promise<string> {
  const id = await createVisit(app, w.cookies.organizer, visitBody(w, extra));
  const res = await api(app, w.cookies.organizer, 'POST', `/api/v1/visits/${id}/phase`, { to: 'registration' });
  if (res.statusCode !== 200) throw new Error(`open visit failed: ${res.body}`);
  return id;
}

/** The world's first buyer registers with its demand; the organizer approves. Returns the registration and its code. */
export async function approvedBuyer(app: FastifyInstance, w: EventWorld, id: string, who: 'buyerUser' | 'otherBuyerUser' = 'buyerUser') {
  const demand = String(w.demands[who === 'buyerUser' ? 0 : 1]._id);
  const reg = await api(app, w.cookies[who], 'POST', `/api/v1/visits/${id}/registrations`, { demands: [demand], people: 2, officials: '区经信局 陈科长' });
  if (reg.statusCode !== 201) throw new Error(`register failed: ${reg.body}`);
  const rid = (reg.json() as { registrationId: string }).registrationId;
  const rev = await api(app, w.cookies.organizer, 'POST', `/api/v1/visits/${id}/registrations/${rid}/review`, { decision: 'approve' });
  if (rev.statusCode !== 200) throw new Error(`approve failed: ${rev.body}`);
  return { rid, demand, code: (rev.json() as { registration: { checkInCode: string } }).registration.checkInCode };
}
