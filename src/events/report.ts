/** The event dashboard loaded from MongoDB, and its .xlsx export for the organizers' report upward. */
import ExcelJS from 'exceljs';
import { buyerLevelNames } from '../buyers/index.js';
import { fieldName } from '../taxonomy/index.js';
import { dashboardFigures, UNKNOWN, type Dashboard, type DashboardRow } from './dashboard.js';
import { outcomeNames } from './schemas.js';
import { xlsxBuffer } from '../web/spreadsheet-safety.js';
import type { EventDeps } from './deps.js';
import type { EventLean, MeetingLean, ParticipantLean, PreferenceLean } from './service.js';

export const fieldLabel = (key: string) => (key === UNKNOWN ? '未填写' : fieldName(key));
export const levelLabel = (key: string) => (key === UNKNOWN ? '未填写' : buyerLevelNames[key] ?? key);

export async function loadDashboard(deps: Pick<EventDeps, 'models' | 'buyers' | 'meetings'>, event: EventLean) {
  const { models, buyers } = deps;
  const { EventParticipant, EventPreference, EventMeeting, Vendor } = models;
  const [participants, wishes, meetings] = await Promise.all([
    EventParticipant.find({ event: event._id }).lean<ParticipantLean[]>(),
    EventPreference.find({ event: event._id }).lean<PreferenceLean[]>(),
    EventMeeting.find({ event: event._id }).sort({ slot: 1, table: 1 }).lean<MeetingLean[]>().then(deps.meetings().withSigningAmounts),
  ]);
  const [vendors, orgs] = await Promise.all([
    Vendor.find({ _id: { $in: participants.filter((p) => p.vendor).map((p) => p.vendor) } }, { fields: 1 }).lean(),
    buyers.byIds(participants.filter((p) => p.buyerOrg).map((p) => p.buyerOrg), { level: 1 }),
  ]);
  const fieldOf = new Map(vendors.map((v) => [String(v._id), v.fields?.[0]]));
  const levelOf = new Map(orgs.map((o) => [String(o._id), o.level]));
  const figures = dashboardFigures({
    participants: participants.map((p) => ({
      id: String(p._id),
      kind: p.kind as 'buyer' | 'vendor',
      status: p.status,
      field: p.vendor ? fieldOf.get(String(p.vendor)) : undefined,
      level: p.buyerOrg ? levelOf.get(String(p.buyerOrg)) : undefined,
    })),
    wishes: wishes.map((w) => ({ from: String(w.from), to: String(w.to), level: w.level })),
    meetings: meetings.map((m) => ({ buyer: String(m.buyer), vendor: String(m.vendor), outcome: m.outcome, amountYuan: m.amountYuan })),
  });
  const arrived = participants.filter((p) => p.checkIn === 'arrived').length;
  return { figures: { ...figures, participants: { ...figures.participants, arrived } }, participants, meetings, fieldOf, levelOf };
}

/** Worksheet columns from [header, key, width] rows. */
const columnsOf = (rows: Array<[header: string, key: string, width: number]>) => rows.map(([header, key, width]) => ({ header, key, width }));

const columns = columnsOf([
  ['意向对数', 'wishes', 10], ['已安排洽谈', 'scheduled', 12], ['已洽谈', 'held', 10], ['达成意向', 'intents', 10], ['签约', 'signed', 8], ['签约金额（元）', 'amountYuan', 16],
]);

function sheetOf(workbook: ExcelJS.Workbook, name: string, first: string, rows: DashboardRow[], label: (k: string) => string, total: DashboardRow) {
  const sheet = workbook.addWorksheet(name);
  sheet.columns = [{ header: first, key: 'label', width: 16 }, ...columns];
  for (const row of rows) sheet.addRow({ ...row, label: label(row.key) });
  sheet.addRow({ ...total, label: '合计' }).font = { bold: true };
  sheet.getRow(1).font = { bold: true };
}

export async function dashboardWorkbook(event: EventLean, data: Awaited<ReturnType<typeof loadDashboard>>): Promise<Buffer> {
  const { figures } = data as { figures: Dashboard };
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '供需对接平台';
  sheetOf(workbook, '按领域', '领域', figures.byField, fieldLabel, figures.total);
  sheetOf(workbook, '按采购方层级', '采购方层级', figures.byLevel, levelLabel, figures.total);
  const detail = workbook.addWorksheet('洽谈明细');
  detail.columns = columnsOf([
    ['时段', 'slot', 8], ['开始时间', 'start', 18], ['桌号', 'table', 6], ['采购方', 'buyer', 30], ['采购方层级', 'level', 10],
    ['供应商', 'vendor', 30], ['领域', 'field', 12], ['洽谈结果', 'outcome', 10], ['签约金额（元）', 'amountYuan', 14],
  ]);
  detail.getRow(1).font = { bold: true };
  const byId = new Map(data.participants.map((p) => [String(p._id), p]));
  const time = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
  for (const m of data.meetings) {
    const buyer = byId.get(String(m.buyer));
    const vendor = byId.get(String(m.vendor));
    const field = vendor?.vendor ? data.fieldOf.get(String(vendor.vendor)) : undefined;
    const level = buyer?.buyerOrg ? data.levelOf.get(String(buyer.buyerOrg)) : undefined;
    detail.addRow({
      slot: m.slot + 1,
      start: event.slots[m.slot] ? time.format(event.slots[m.slot].start) : '',
      table: m.table,
      buyer: buyer?.name ?? '',
      level: levelLabel(level ?? UNKNOWN),
      vendor: vendor?.name ?? '',
      field: fieldLabel(field ?? UNKNOWN),
      outcome: m.outcome ? outcomeNames[m.outcome] : '',
      amountYuan: m.amountYuan ?? null,
    });
  }
  return xlsxBuffer(workbook);
}
