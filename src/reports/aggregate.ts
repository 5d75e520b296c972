/**
 * Every figure of the report, as MongoDB aggregations that run on a MongoDB 4.0 server: no $dateTrunc,
 * $setWindowFields, $unionWith, $merge, $getField, nor $lookup with both localField and pipeline.
 * Months are $dateToString in China time (timezone is 3.6+). Joins go through the smaller side first
 * (group, then $lookup the few buyer organizations). The unfiltered report's three heaviest figures read
 * data the writes keep (vendors' publishedCounts, follow-ups' stage, follow_up_months); with
 * `fromScratch` every figure is computed from the records, which is what those must equal.
 *
 * The functions return raw rows; figures.ts shapes them (names, totals, tables, charts) without I/O.
 */
import { Types } from 'mongoose';
import type { Models } from '../infra/models.js';
import { searchableSince, type FreshnessPolicy } from '../suppliers/index.js';
import { taxonomy } from '../taxonomy/index.js';
import { chinaMonth } from '../followups/index.js';
import { OUTSIDE } from './schemas.js';

export interface ReportScope {
  now: Date;
  policy: FreshnessPolicy;
  /** Period: [from, toEnd), either end open. */
  from?: Date;
  toEnd?: Date;
  /** The window of the trend charts (the period, or the last 12 months). */
  trendFrom: Date;
  trendToEnd: Date;
  field?: string;
  region?: string;
}

type Doc = Record<string, unknown>;
const { home, hangzhouDistricts } = taxonomy.regions;
const TZ = 'Asia/Shanghai';

/** The filter on province/city/district fields (of a vendor or a buyer organization) for a region. */
export function regionMatch(region: string | undefined, prefix = ''): Doc {
  if (!region) return {};
  const p = (k: string) => `${prefix}${k}`;
  if (region === OUTSIDE) return { [p('province')]: { $ne: home.province } };
  if (region === home.province) return { [p('province')]: home.province };
  if (hangzhouDistricts.includes(region)) return { [p('city')]: home.city, [p('district')]: region };
  return { [p('province')]: home.province, [p('city')]: region };
}

/** Locality tier of a place (expression over `$<prefix>province/city/district`), as in matching. */
function tierExpr(prefix: string) {
  return {
    $switch: {
      branches: [
        { case: { $and: [{ $eq: [`$${prefix}city`, home.city] }, { $eq: [`$${prefix}district`, home.district] }] }, then: 'district' },
        { case: { $eq: [`$${prefix}city`, home.city] }, then: 'city' },
        { case: { $eq: [`$${prefix}province`, home.province] }, then: 'province' },
      ],
      default: 'outside',
    },
  };
}

/**
 * freshnessOf() (src/suppliers/freshness.ts) as an expression: the two cut-offs are searchableSince()
 * with and without the grace period, so "current / stale / hidden" means exactly what it means in search.
 */
function freshnessExpr(confirmedAtPath: string, scope: ReportScope) {
  const currentSince = searchableSince(scope.now, { days: scope.policy.days, graceDays: 0 });
  const visibleSince = searchableSince(scope.now, scope.policy);
  const c = { $ifNull: [confirmedAtPath, null] };
  return {
    $switch: {
      branches: [
        { case: { $eq: [c, null] }, then: 'hidden' },
        { case: { $gte: [c, currentSince] }, then: 'current' },
        { case: { $gte: [c, visibleSince] }, then: 'stale' },
      ],
      default: 'hidden',
    },
  };
}

/** effectiveCertifications() as an expression: a code whose only certificates are out of force stops counting. */
function effectiveCertsExpr(now: Date) {
  const has = (f: string) => ({ $gt: [{ $ifNull: [`$$q.${f}`, null] }, null] });
  const inForce = {
    $and: [
      { $or: [{ $not: [has('expiresAt')] }, { $gte: ['$$q.expiresAt', now] }] },
      { $or: [{ $not: [has('validFrom')] }, { $lte: ['$$q.validFrom', now] }] },
    ],
  };
  const quals = { $ifNull: ['$qualifications', []] };
  return {
    $let: {
      vars: {
        lapsed: { $map: { input: { $filter: { input: quals, as: 'q', cond: { $not: [inForce] } } }, as: 'q', in: '$$q.certification' } },
        valid: { $map: { input: { $filter: { input: quals, as: 'q', cond: inForce } }, as: 'q', in: '$$q.certification' } },
      },
      in: {
        $filter: {
          input: { $ifNull: ['$certifications', []] }, as: 'c',
          cond: { $or: [{ $not: [{ $in: ['$$c', '$$lapsed'] }] }, { $in: ['$$c', '$$valid'] }] },
        },
      },
    },
  };
}

const period = (scope: Pick<ReportScope, 'from' | 'toEnd'>): Doc | undefined => {
  if (!scope.from && !scope.toEnd) return undefined;
  return { ...(scope.from ? { $gte: scope.from } : {}), ...(scope.toEnd ? { $lt: scope.toEnd } : {}) };
};
const month = (path: string) => ({ $dateToString: { format: '%Y-%m', date: path, timezone: TZ } });

// ---------------------------------------------------------------- supplier list (current state)

export interface SupplierRows {
  vendors: { byFreshness: Doc[]; byTier: Doc[]; byField: Doc[]; byCert: Doc[] };
  products: { byFreshness: Doc[]; byField: Doc[]; byCategory: Doc[]; byTier: Doc[] };
}

/**
 * Approved vendors and published products of approved vendors, now. The period does not apply. Both
 * come from one pass over the approved vendors (their published products counted per field and category
 * in `publishedCounts`), unless `fromScratch`: then the products are counted from the products.
 */
export async function supplierRows(models: Models, scope: ReportScope, opts: { fromScratch?: boolean } = {}): Promise<SupplierRows> {
  const counts = { $ifNull: ['$publishedCounts', []] };
  // A field filter keeps the vendors in that field, and of every vendor only that field's products.
  const inField = scope.field ? [{ $match: { fields: scope.field } }] : [];
  const [facets] = await models.Vendor.aggregate<{ vendors: Doc[]; fields: Doc[]; certs: Doc[]; products: Doc[] }>([
    { $match: { status: 'approved', ...regionMatch(scope.region) } },
    {
      $project: {
        _id: 0, fields: 1, freshness: freshnessExpr('$confirmedAt', scope), tier: tierExpr(''), certs: effectiveCertsExpr(scope.now),
        ...(opts.fromScratch ? {} : { cats: scope.field ? { $filter: { input: counts, as: 'x', cond: { $eq: ['$$x.f', scope.field] } } } : counts }),
      },
    },
    {
      $facet: {
        vendors: [...inField, { $group: { _id: { tier: '$tier', freshness: '$freshness' }, n: { $sum: 1 } } }],
        fields: [...inField, { $unwind: '$fields' }, ...inField, { $group: { _id: { field: '$fields', freshness: '$freshness' }, n: { $sum: 1 } } }],
        certs: [...inField, { $unwind: '$certs' }, { $group: { _id: { cert: '$certs', freshness: '$freshness' }, n: { $sum: 1 } } }],
        ...(opts.fromScratch ? {} : { products: [{ $unwind: '$cats' }, productGroups] }),
      },
    },
  ]);
  const byTier = facets?.vendors ?? [];
  const vendors = {
    byFreshness: regroup(byTier, (g) => (g._id as { freshness: string }).freshness, ['n']),
    byTier,
    byField: facets?.fields ?? [],
    byCert: facets?.certs ?? [],
  };
  const products = opts.fromScratch ? await publishedProductRowsFromScratch(models, scope) : productFigures(facets?.products ?? []);
  return { vendors, products };
}

/**
 * From one row per vendor and (field, category) with its count n: one group per (field, category,
 * freshness, tier). The four product figures are sums of these few hundred groups (productFigures); a
 * $facet of four $groups would hold and walk all ~60,000 rows four times.
 */
const productGroups = {
  $group: {
    _id: { f: '$cats.f', c: '$cats.c', freshness: '$freshness', tier: '$tier' },
    n: { $sum: '$cats.n' },
    vendors: { $sum: 1 },
  },
};

/** The product figures from productGroups' rows (pure). */
function productFigures(groups: Doc[]): SupplierRows['products'] {
  const id = (g: Doc) => g._id as { f: string; c: string; freshness: string; tier: string };
  return {
    byFreshness: regroup(groups, (g) => id(g).freshness, ['n']),
    byField: regroup(groups, (g) => ({ field: id(g).f, freshness: id(g).freshness }), ['n']),
    byCategory: regroup(groups, (g) => ({ field: id(g).f, category: id(g).c }), ['n', 'vendors']),
    byTier: regroup(groups, (g) => ({ tier: id(g).tier, freshness: id(g).freshness }), ['n']),
  };
}

/**
 * Rows summed into groups (pure): `_id` is what `keyOf` gives, each listed field is summed (a value that is
 * not a number counts 0, as in $sum).
 */
function regroup(rows: Doc[], keyOf: (row: Doc) => unknown, fields: readonly string[]): Doc[] {
  const groups = new Map<string, Doc>();
  for (const row of rows) {
    const id = keyOf(row);
    const k = JSON.stringify(id);
    let group = groups.get(k);
    if (!group) {
      group = { _id: id };
      for (const f of fields) group[f] = 0;
      groups.set(k, group);
    }
    for (const f of fields) {
      const v = row[f];
      if (typeof v === 'number' && Number.isFinite(v)) group[f] = (group[f] as number) + v;
    }
  }
  return [...groups.values()];
}

/** The level of each of these buyer organizations (one read of the few hundred, not a $lookup per row). */
async function levelsOf(models: Models, ids: unknown[]): Promise<Map<string, string>> {
  const orgs = await models.BuyerOrg.find({ _id: { $in: [...new Set(ids.map(String))] } }, { level: 1 }).lean();
  return new Map(orgs.map((o) => [String(o._id), (o.level as string | undefined) ?? 'unknown']));
}

/**
 * The same rows computed from the products themselves (the definition publishedCounts must agree with;
 * tests compare the two): products grouped per vendor and category, then one lookup per vendor.
 */
export async function publishedProductRowsFromScratch(models: Models, scope: ReportScope): Promise<SupplierRows['products']> {
  const productMatch: Doc = { status: 'published' };
  if (scope.field) productMatch.field = scope.field;
  const groups = await models.Product.aggregate<Doc>([
    { $match: productMatch },
    // Covered by { status, field, vendor, category }: counts per vendor and category first …
    { $group: { _id: { v: '$vendor', f: '$field', c: '$category' }, n: { $sum: 1 } } },
    { $group: { _id: '$_id.v', cats: { $push: { f: '$_id.f', c: '$_id.c', n: '$n' } } } },
    // … then one lookup per vendor, for its status, place and freshness.
    { $lookup: { from: models.Vendor.collection.collectionName, localField: '_id', foreignField: '_id', as: 'v' } },
    { $unwind: '$v' },
    { $match: { 'v.status': 'approved', ...regionMatch(scope.region, 'v.') } },
    { $project: { cats: 1, freshness: freshnessExpr('$v.confirmedAt', scope), tier: tierExpr('v.') } },
    { $unwind: '$cats' },
    productGroups,
  ]);
  return productFigures(groups);
}

// ---------------------------------------------------------------- demands

/** Buyer organizations in the region filter (null: no region filter). */
async function orgIdsIn(models: Models, region: string | undefined): Promise<Types.ObjectId[] | null> {
  if (!region) return null;
  return (await models.BuyerOrg.find(regionMatch(region), { _id: 1 }).lean()).map((o) => o._id as Types.ObjectId);
}

function demandMatch(scope: ReportScope, orgIds: Types.ObjectId[] | null, dateRange: Doc | undefined): Doc {
  // Drafts are not posted demands: they count nowhere.
  const match: Doc = { status: { $ne: 'draft' } };
  if (dateRange) match.createdAt = dateRange;
  if (scope.field) match.field = scope.field;
  if (orgIds) match.buyerOrg = { $in: orgIds };
  return match;
}

export interface DemandRows { byLevel: Doc[]; byField: Doc[]; byStatus: Doc[]; byLevelStatus: Doc[]; perMonth: Doc[] }

/**
 * The demands' index that holds every field the demand figures read (src/demands/model.ts): the scans are
 * covered, no demand document is read.
 */
const DEMAND_FIGURES_INDEX = { status: 1, createdAt: 1, buyerOrg: 1, field: 1, closedAs: 1, budgetYuan: 1 };

/** Demands posted in the period (createdAt), by the level of the buyer, field and status. */
export async function demandRows(models: Models, scope: ReportScope): Promise<DemandRows> {
  const orgIds = await orgIdsIn(models, scope.region);
  const status = { $cond: [{ $eq: ['$status', 'closed'] }, { $concat: ['closed:', { $ifNull: ['$closedAs', 'fulfilled'] }] }, '$status'] };
  const posted = demandMatch(scope, orgIds, period(scope));
  const budget = { $sum: { $ifNull: ['$budgetYuan', 0] } };
  // Two small groupings rather than one by (buyer, field, status): that one has ~6,000 groups on the
  // bench's 10,000 demands and cost twice as much as both of these.
  const [byOrgStatus, byField, perMonth] = await Promise.all([
    models.Demand.aggregate<Doc>([{ $match: posted }, { $group: { _id: { o: '$buyerOrg', s: status }, n: { $sum: 1 }, budget } }]).hint(DEMAND_FIGURES_INDEX),
    models.Demand.aggregate<Doc>([{ $match: posted }, { $group: { _id: { $ifNull: ['$field', ''] }, n: { $sum: 1 }, budget } }]).hint(DEMAND_FIGURES_INDEX),
    models.Demand.aggregate<Doc>([
      { $match: demandMatch(scope, orgIds, { $gte: scope.trendFrom, $lt: scope.trendToEnd }) },
      { $group: { _id: month('$createdAt'), n: { $sum: 1 } } },
    ]).hint(DEMAND_FIGURES_INDEX),
  ]);
  const id = (g: Doc) => g._id as { o: unknown; s: string };
  const levels = await levelsOf(models, byOrgStatus.map((g) => id(g).o));
  const level = (g: Doc) => levels.get(String(id(g).o)) ?? 'unknown';
  return {
    byLevel: regroup(byOrgStatus, level, ['n', 'budget']),
    byField,
    byStatus: regroup(byOrgStatus, (g) => id(g).s, ['n']),
    byLevelStatus: regroup(byOrgStatus, (g) => ({ level: level(g), status: id(g).s }), ['n']),
    perMonth,
  };
}

// ---------------------------------------------------------------- matches and follow-ups

export interface FunnelRows { byLevel: Doc[]; stepsPerMonth: Doc[] }

/**
 * Follow-ups (one per demand × vendor) first recorded in the period, with the furthest stage each reached
 * by the end of the period, grouped by the level of the demand's buyer. Field and region filter through
 * the demand (its field; its buyer's place).
 */
export async function funnelRows(models: Models, scope: ReportScope, opts: { fromScratch?: boolean } = {}): Promise<FunnelRows> {
  const FollowUp = models.FollowUp;
  const filter: Doc = {};
  if (scope.field || scope.region) {
    const orgIds = await orgIdsIn(models, scope.region);
    filter.demand = { $in: await models.Demand.distinct('_id', demandMatch(scope, orgIds, undefined)) };
  }
  const cohort: Doc = { ...filter };
  const range = period(scope);
  if (range) cohort.createdAt = range;
  // The statuses of the steps taken by the end of the period (all steps when the period has no end).
  const statuses = scope.toEnd
    ? { $map: { input: { $filter: { input: '$steps', as: 's', cond: { $lt: ['$$s.at', scope.toEnd] } } }, as: 's', in: '$$s.status' } }
    : '$steps.status';
  const reached = (status: string) => ({ $in: [status, '$st'] });
  // With no end to the period the furthest stage ever reached and the current status are what counts:
  // both are kept on each follow-up (`stage`, written with every step), so one index holds all the funnel
  // reads. A period's end needs the steps themselves.
  const stored = !scope.toEnd && !opts.fromScratch;
  // Without a period at all, every follow-up is in the cohort: each demand's row of counts, kept with
  // every step (follow_up_demands), is the answer, ~10,000 small rows instead of 50,000 index keys.
  const perDemand = stored && !scope.from;
  const perFollowUp = stored
    ? [{ $match: cohort }, { $project: { _id: 0, demand: 1, buyerOrg: 1, amountYuan: 1, stage: 1, last: '$status' } }]
    : [
      { $match: cohort },
      { $project: { _id: 0, demand: 1, buyerOrg: 1, amountYuan: 1, st: statuses } },
      {
        $project: {
          demand: 1, buyerOrg: 1, amountYuan: 1,
          // The furthest stage reached (skipping one counts as reaching it: a vendor may say 有意向 at once).
          stage: { $cond: [reached('signed'), 3, { $cond: [reached('intent'), 2, { $cond: [reached('contacted'), 1, 0] }] }] },
          last: { $arrayElemAt: ['$st', -1] },
        },
      },
    ];
  const funnel = perDemand ? demandFunnelRows(models, filter) : FollowUp.aggregate<Doc>([
      ...perFollowUp,
      {
        $group: {
          _id: { o: '$buyerOrg', d: '$demand' },
          pairs: { $sum: 1 },
          contacted: { $sum: { $cond: [{ $gte: ['$stage', 1] }, 1, 0] } },
          intent: { $sum: { $cond: [{ $gte: ['$stage', 2] }, 1, 0] } },
          signed: { $sum: { $cond: [{ $gte: ['$stage', 3] }, 1, 0] } },
          declined: { $sum: { $cond: [{ $eq: ['$last', 'declined'] }, 1, 0] } },
          amount: { $sum: { $cond: [{ $gte: ['$stage', 3] }, { $ifNull: ['$amountYuan', 0] }, 0] } },
          amountKnown: { $sum: { $cond: [{ $and: [{ $gte: ['$stage', 3] }, { $gt: [{ $ifNull: ['$amountYuan', null] }, null] }] }, 1, 0] } },
        },
      },
      {
        $group: {
          _id: '$_id.o',
          demands: { $sum: 1 },
          demandsSigned: { $sum: { $cond: [{ $gte: ['$signed', 1] }, 1, 0] } },
          pairs: { $sum: '$pairs' }, contacted: { $sum: '$contacted' }, intent: { $sum: '$intent' }, signed: { $sum: '$signed' },
          declined: { $sum: '$declined' }, amount: { $sum: '$amount' }, amountKnown: { $sum: '$amountKnown' },
        },
      },
    ]);
  // Read from the index alone (hinted: an empty $match would otherwise scan the collection).
  if (stored && !perDemand) (funnel as ReturnType<typeof FollowUp.aggregate>).hint(FUNNEL_INDEX);
  // Steps taken per month (reopening is not a step forward), in the trend window. Unfiltered, the window
  // is whole China-time months: the monthly counts kept with every step (follow_up_months) are the answer.
  const wholeMonths = !scope.from && !scope.toEnd && !scope.field && !scope.region && !opts.fromScratch;
  const [byOrg, stepsPerMonth] = await Promise.all([
    funnel,
    wholeMonths ? stepMonthRows(models, scope) : FollowUp.aggregate<Doc>([
      { $match: { ...filter, updatedAt: { $gte: scope.trendFrom }, createdAt: { $lt: scope.trendToEnd } } },
      { $project: { _id: 0, steps: 1 } },
      { $unwind: '$steps' },
      { $match: { 'steps.at': { $gte: scope.trendFrom, $lt: scope.trendToEnd }, 'steps.action': { $ne: 'reopen' } } },
      { $group: { _id: { m: month('$steps.at'), s: '$steps.status' }, n: { $sum: 1 }, amount: { $sum: { $ifNull: ['$steps.amountYuan', 0] } } } },
    ]),
  ]);
  // Then by the level of the buyer (a few hundred organizations).
  const levels = await levelsOf(models, byOrg.map((r) => r._id));
  const byLevel = regroup(byOrg, (r) => levels.get(String(r._id)) ?? 'unknown', FUNNEL_COUNTS);
  return { byLevel, stepsPerMonth };
}

const FUNNEL_COUNTS = ['demands', 'demandsSigned', 'pairs', 'contacted', 'intent', 'signed', 'declined', 'amount', 'amountKnown'] as const;

/** The funnel per buyer organization from follow_up_demands (demands: those with follow-ups), as the aggregation above gives it. */
async function demandFunnelRows(models: Models, filter: Doc): Promise<Doc[]> {
  const byOrg = await models.FollowUpDemand.aggregate<Doc>([
    ...(filter.demand ? [{ $match: { _id: filter.demand } }] : []),
    {
      $group: {
        _id: '$buyerOrg',
        demands: { $sum: { $cond: [{ $gt: ['$pairs', 0] }, 1, 0] } },
        demandsSigned: { $sum: { $cond: [{ $gt: ['$signed', 0] }, 1, 0] } },
        pairs: { $sum: '$pairs' }, contacted: { $sum: '$contacted' }, intent: { $sum: '$intent' }, signed: { $sum: '$signed' },
        declined: { $sum: '$declined' }, amountFen: { $sum: '$amountFen' }, amountKnown: { $sum: '$amountKnown' },
      },
    },
  ]);
  return byOrg.map((r) => ({ ...r, amount: (r.amountFen as number) / 100 }));
}

/** The follow-ups' index that holds every field the funnel reads (src/followups/model.ts). */
const FUNNEL_INDEX = { buyerOrg: 1, demand: 1, stage: 1, status: 1, amountYuan: 1, createdAt: 1 };

/** Steps per month and status from follow_up_months, for a window of whole China-time months; amounts kept in fen. */
async function stepMonthRows(models: Models, scope: ReportScope): Promise<Doc[]> {
  const first = chinaMonth(scope.trendFrom);
  const last = chinaMonth(new Date(scope.trendToEnd.getTime() - 1));
  const rows = await models.FollowUpMonth.find({ month: { $gte: first, $lte: last } }).lean();
  return rows.map((r) => ({ _id: { m: r.month, s: r.status }, n: r.n, amount: r.amountFen / 100 }));
}

// ---------------------------------------------------------------- matchmaking events

export interface EventRows { events: Doc[]; participants: Doc[]; meetings: Doc[] }

/** Events with a slot in the period (drafts excluded), their participants and meetings grouped for figures.ts. */
export async function eventRows(models: Models, scope: ReportScope): Promise<EventRows> {
  // Drafts (筹备中) are the organizers' own until registration opens: never in a report.
  const match: Doc = { phase: { $ne: 'draft' } };
  if (scope.field) match.field = scope.field;
  const range = period(scope);
  // An event belongs to the period when one of its time slots starts in it.
  if (range) match.slots = { $elemMatch: { start: range } };
  const events = await models.Event.aggregate<Doc>([
    { $match: match },
    { $project: { title: 1, theme: 1, phase: 1, tables: 1, start: { $min: '$slots.start' } } },
    { $sort: { start: 1, _id: 1 } },
  ]);
  if (!events.length) return { events, participants: [], meetings: [] };
  const ids = events.map((e) => e._id);
  const [participants, meetings] = await Promise.all([
    models.EventParticipant.aggregate<Doc>([
      { $match: { event: { $in: ids } } },
      { $group: { _id: { event: '$event', kind: '$kind', status: '$status', checkIn: { $ifNull: ['$checkIn', 'none'] } }, n: { $sum: 1 } } },
    ]),
    models.EventMeeting.aggregate<Doc>([
      { $match: { event: { $in: ids } } },
      { $group: { _id: { event: '$event', outcome: { $ifNull: ['$outcome', 'none'] } }, n: { $sum: 1 } } },
    ]),
  ]);
  // A signing's amount is kept once, on its follow-up; the step that signed names the event it was made at.
  const signings = await models.FollowUp.aggregate<Doc>([
    { $match: { status: 'signed', 'steps.event': { $in: ids } } },
    { $unwind: '$steps' },
    { $match: { 'steps.status': 'signed', 'steps.event': { $in: ids } } },
    { $group: { _id: '$steps.event', amount: { $sum: { $ifNull: ['$amountYuan', 0] } } } },
  ]);
  const amountOf = new Map(signings.map((x) => [String(x._id), x.amount as number]));
  for (const row of meetings) {
    const key = row._id as Doc;
    row.amount = key.outcome === 'signed' ? amountOf.get(String(key.event)) ?? 0 : 0;
  }
  return { events, participants, meetings };
}

// ---------------------------------------------------------------- 企业调研 / 现场考察

export interface VisitRows { visits: Doc[]; registrations: Doc[]; outcomes: Doc[] }

/** Visits on a day in the period (drafts and cancelled ones excluded), their registrations and outcomes grouped for figures.ts. */
export async function visitRows(models: Models, scope: ReportScope): Promise<VisitRows> {
  const match: Doc = { phase: { $nin: ['draft', 'cancelled'] } };
  if (scope.field) match.field = scope.field;
  const range = period(scope);
  if (range) match.startsAt = range;
  const visits = await models.Visit.aggregate<Doc>([
    { $match: match },
    { $project: { title: 1, kind: 1, phase: 1, date: 1, startsAt: 1, stops: { $size: '$stops' } } },
    { $sort: { startsAt: 1, _id: 1 } },
  ]);
  if (!visits.length) return { visits, registrations: [], outcomes: [] };
  const ids = visits.map((v) => v._id);
  const [registrations, outcomes, signings] = await Promise.all([
    models.VisitRegistration.aggregate<Doc>([
      // Approved ones (arrived, no-show or not marked) and withdrawn ones (counted apart, not as taking part).
      { $match: { visit: { $in: ids }, status: { $in: ['approved', 'withdrawn'] } } },
      { $group: { _id: { visit: '$visit', status: '$status', checkIn: { $ifNull: ['$checkIn', 'none'] } }, n: { $sum: 1 }, people: { $sum: { $ifNull: ['$people', 1] } } } },
    ]),
    models.VisitOutcome.aggregate<Doc>([
      { $match: { visit: { $in: ids } } },
      { $group: { _id: { visit: '$visit', outcome: '$outcome' }, n: { $sum: 1 } } },
    ]),
    // A signing's amount is kept once, on its follow-up; the step that signed names the visit.
    models.FollowUp.aggregate<Doc>([
      { $match: { status: 'signed', 'steps.visit': { $in: ids } } },
      { $unwind: '$steps' },
      { $match: { 'steps.status': 'signed', 'steps.visit': { $in: ids } } },
      { $group: { _id: '$steps.visit', signed: { $sum: 1 }, amount: { $sum: { $ifNull: ['$amountYuan', 0] } } } },
    ]),
  ]);
  const signingOf = new Map(signings.map((x) => [String(x._id), x]));
  for (const v of visits) {
    const s = signingOf.get(String(v._id));
    v.signed = s?.signed ?? 0;
    v.amount = s?.amount ?? 0;
  }
  return { visits, registrations, outcomes };
}
