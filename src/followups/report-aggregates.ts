/**
 * Deriving the follow-ups' report fields again from the steps (idempotent): `stage` on each follow-up,
 * the monthly step counts (follow_up_months) and each demand's funnel row (follow_up_demands). Run at
 * startup when missing and by `npm run cli -- rebuild-reports`; tests compare what `advance` keeps with
 * what this derives.
 */
import type { Models } from '../infra/models.js';
import { funnelCountKeys, funnelShare, stageOf, type FunnelCounts } from './state.js';

type FollowUpModels = Pick<Models, 'FollowUp' | 'FollowUpMonth' | 'FollowUpDemand'>;
const BATCH = 1_000;

/** Sets `stage` where it is missing or differs; a step written meanwhile wins (the update is conditional on the steps read). */
export async function rebuildStages(models: FollowUpModels): Promise<number> {
  let changed = 0;
  let ops: Array<Parameters<FollowUpModels['FollowUp']['bulkWrite']>[0][number]> = [];
  const flush = async () => {
    if (ops.length) changed += (await models.FollowUp.bulkWrite(ops, { ordered: false })).modifiedCount;
    ops = [];
  };
  const cursor = models.FollowUp.find({}, { stage: 1, 'steps.status': 1 }).lean().cursor({ batchSize: BATCH });
  for await (const f of cursor) {
    const steps = (f.steps ?? []) as Array<{ status: string }>;
    const stage = stageOf(steps.map((s) => s.status));
    if (f.stage === stage) continue;
    ops.push({ updateOne: { filter: { _id: f._id, steps: { $size: steps.length } }, update: { $set: { stage } }, timestamps: false } });
    if (ops.length >= BATCH) await flush();
  }
  await flush();
  return changed;
}

/**
 * Recounts follow_up_months from every step, in one transaction: a step written meanwhile either is in
 * the snapshot read here or conflicts with this rewrite (and one of the two retries).
 */
export async function rebuildStepMonths(models: FollowUpModels): Promise<number> {
  return models.FollowUp.db.transaction(async (session) => {
    // Per month, status and amount (a signing's amount is counted in whole fen, as advance() adds it).
    const rows = await models.FollowUp.aggregate<{ _id: { m: string; s: string; a: number | null }; n: number }>([
      { $project: { _id: 0, steps: 1 } },
      { $unwind: '$steps' },
      { $match: { 'steps.action': { $ne: 'reopen' } } },
      {
        $group: {
          _id: { m: { $dateToString: { format: '%Y-%m', date: '$steps.at', timezone: 'Asia/Shanghai' } }, s: '$steps.status', a: { $ifNull: ['$steps.amountYuan', null] } },
          n: { $sum: 1 },
        },
      },
    ]).session(session);
    const months = new Map<string, { _id: string; month: string; status: string; n: number; amountFen: number }>();
    for (const r of rows) {
      const _id = `${r._id.m}:${r._id.s}`;
      const doc = months.get(_id) ?? { _id, month: r._id.m, status: r._id.s, n: 0, amountFen: 0 };
      doc.n += r.n;
      if (typeof r._id.a === 'number') doc.amountFen += Math.round(r._id.a * 100) * r.n;
      months.set(_id, doc);
    }
    await models.FollowUpMonth.deleteMany({}, { session });
    if (months.size) await models.FollowUpMonth.insertMany([...months.values()], { session });
    return months.size;
  });
}

/**
 * Recounts follow_up_demands from every follow-up with the same funnelShare() the steps apply, `batch`
 * demands per transaction: one transaction for all would pass MongoDB 4.0's 16 MB limit at roughly
 * 100,000 demands. Within a batch, a step written meanwhile is in the snapshot read here or conflicts
 * with this rewrite of its demand's row (and one of the two retries); a demand that gets its first
 * follow-up after the list below was read has its row from that step's own increment.
 */
export async function rebuildDemandFunnels(models: FollowUpModels, batch = BATCH): Promise<number> {
  // Every demand with follow-ups or with a row (a row left without follow-ups is removed).
  const ids = new Map<string, unknown>();
  for await (const r of models.FollowUp.aggregate<{ _id: unknown }>([{ $group: { _id: '$demand' } }]).cursor({ batchSize: BATCH })) ids.set(String(r._id), r._id);
  for await (const r of models.FollowUpDemand.find({}, { _id: 1 }).lean().cursor({ batchSize: BATCH })) ids.set(String(r._id), r._id);
  const demands = [...ids.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, id]) => id);
  let rowsWritten = 0;
  for (let i = 0; i < demands.length; i += batch) {
    const chunk = demands.slice(i, i + batch);
    rowsWritten += await models.FollowUp.db.transaction(async (session) => {
      const rows = new Map<string, FunnelCounts & { _id: unknown; buyerOrg: unknown }>();
      const followUps = await models.FollowUp.find({ demand: { $in: chunk } }, { demand: 1, buyerOrg: 1, status: 1, amountYuan: 1, 'steps.status': 1 })
        .session(session).lean();
      for (const f of followUps) {
        const share = funnelShare({ stage: stageOf(((f.steps ?? []) as Array<{ status: string }>).map((x) => x.status)), status: f.status, amountYuan: f.amountYuan });
        const key = String(f.demand);
        const row = rows.get(key) ?? { _id: f.demand, buyerOrg: f.buyerOrg, ...funnelShare(null) };
        for (const k of funnelCountKeys) row[k] += share[k];
        rows.set(key, row);
      }
      await models.FollowUpDemand.deleteMany({ _id: { $in: chunk } }, { session });
      if (rows.size) await models.FollowUpDemand.insertMany([...rows.values()], { session });
      return rows.size;
    });
  }
  return rowsWritten;
}
