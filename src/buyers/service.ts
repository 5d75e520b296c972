/**
 * Buyer organizations (采购单位): found by id or exact name, created on first mention, searched by name.
 * Organizations are never changed by a mention: the first one to name an organization defines it.
 */
import { Types, type ClientSession, type Model } from 'mongoose';
import type { BuyerOrg } from './model.js';
import type { BuyerInput } from './schemas.js';

export type OrgDoc = BuyerOrg & { _id: Types.ObjectId; createdAt?: Date; updatedAt?: Date };
export interface BuyerRegionFilter { level?: string; city?: string; district?: string }

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const definedOnly = (buyer: Partial<BuyerInput>) => Object.fromEntries(Object.entries(buyer).filter(([, v]) => v !== undefined));

export type BuyerService = ReturnType<typeof createBuyerService>;

export function createBuyerService(deps: { models: { BuyerOrg: Model<BuyerOrg> } }) {
  const { BuyerOrg } = deps.models;
  return {
    async findById(id: unknown, session?: ClientSession): Promise<OrgDoc | null> {
      return BuyerOrg.findById(id).session(session ?? null).lean<OrgDoc>();
    },
    async findByName(name: string, session?: ClientSession): Promise<OrgDoc | null> {
      return BuyerOrg.findOne({ name }).session(session ?? null).lean<OrgDoc>();
    },
    /** The organizations with these exact names. */
    async byNames(names: string[]): Promise<OrgDoc[]> {
      return BuyerOrg.find({ name: { $in: names } }).lean<OrgDoc[]>();
    },
    /** The organizations with these ids (order not guaranteed); `projection` narrows the fields read. */
    async byIds(ids: unknown[], projection?: Record<string, 0 | 1>): Promise<OrgDoc[]> {
      return BuyerOrg.find({ _id: { $in: ids } }, projection).lean<OrgDoc[]>();
    },
    /** Finds the organization by its exact name, or creates it; never changes an existing one. */
    async resolve(buyer: BuyerInput, session?: ClientSession): Promise<OrgDoc> {
      try {
        const org = await BuyerOrg.findOneAndUpdate({ name: buyer.name }, { $setOnInsert: definedOnly(buyer) }, { upsert: true, new: true, session }).lean<OrgDoc>();
        return org!;
      } catch (err) {
        // Two requests created the same organization at once: the other one won, use it.
        if ((err as { code?: number }).code !== 11000) throw err;
        return (await BuyerOrg.findOne({ name: buyer.name }).session(session ?? null).lean<OrgDoc>())!;
      }
    },
    /** Creates a new organization inside the caller's transaction (the caller checked it is missing). */
    async create(buyer: BuyerInput, session: ClientSession): Promise<OrgDoc> {
      const [org] = await BuyerOrg.create([definedOnly(buyer)], { session });
      return org.toObject() as OrgDoc;
    },
    /** Inserts the organizations not there yet, keyed by name (seeding); returns every name's id. */
    async upsertMany(buyers: BuyerInput[]): Promise<Map<string, Types.ObjectId>> {
      if (buyers.length) {
        try {
          await BuyerOrg.bulkWrite(buyers.map((b) => ({ updateOne: { filter: { name: b.name }, update: { $setOnInsert: b }, upsert: true } })), { ordered: false });
        } catch (err) {
          // Another instance inserted the same names at the same moment: that is the goal anyway.
          const writeErrors = (err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }> }).writeErrors ?? [];
          if (!writeErrors.length || writeErrors.some((e) => (e.code ?? e.err?.code) !== 11000)) throw err;
        }
      }
      const orgs = await BuyerOrg.find({ name: { $in: buyers.map((b) => b.name) } }, { name: 1 }).lean();
      return new Map(orgs.map((o) => [o.name, o._id]));
    },
    /** Organizations whose name contains `q` (any case), by name. */
    async searchByName(q: string, limit: number): Promise<OrgDoc[]> {
      return BuyerOrg.find({ name: { $regex: escapeRegex(q), $options: 'i' } }).sort({ name: 1 }).limit(limit).lean<OrgDoc[]>();
    },
    /** All names, sorted (for pickers). */
    async names(limit: number): Promise<string[]> {
      return (await BuyerOrg.find({}, { name: 1 }).sort({ name: 1 }).limit(limit).lean()).map((o) => o.name);
    },
    /** Ids of the organizations at this level / in this region, or undefined when no filter is set. */
    async idsMatching(filter: BuyerRegionFilter): Promise<Types.ObjectId[] | undefined> {
      if (!filter.level && !filter.city && !filter.district) return undefined;
      const f: Record<string, unknown> = {};
      if (filter.level) f.level = filter.level;
      if (filter.city) f.city = filter.city;
      if (filter.district) f.district = filter.district;
      return (await BuyerOrg.find(f, { _id: 1 }).lean()).map((o) => o._id);
    },
    /** The cities and districts any organization names (filter options). */
    async regions(): Promise<{ cities: string[]; districts: string[] }> {
      const [cities, districts] = await Promise.all([BuyerOrg.distinct('city'), BuyerOrg.distinct('district')]);
      return { cities: cities as string[], districts: districts as string[] };
    },
  };
}
