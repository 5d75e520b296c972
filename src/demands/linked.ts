/**
 * The demands a buyer links to a registration (对接会, 企业调研/现场考察): its own organization's, and only
 * those vendors may see (open or in progress), so a draft never reaches vendors through suggestions.
 */
import { Types, type ClientSession } from 'mongoose';
import type { Models } from '../infra/models.js';
import { badRequest } from '../web/errors.js';

type Id = Types.ObjectId;

export async function ownOpenDemands(Demand: Models['Demand'], buyerOrg: Id, demands: string[] | undefined, session?: ClientSession): Promise<Id[]> {
  const ids = [...new Set(demands ?? [])].map((d) => new Types.ObjectId(d));
  if (ids.length === 0) return [];
  const found = await Demand.find({ _id: { $in: ids }, buyerOrg, status: { $in: ['open', 'in_progress'] } }, { _id: 1 }).session(session ?? null).lean();
  if (found.length !== ids.length) {
    throw badRequest('关联的需求须是本单位征集中或对接中的需求。', [{ path: 'demands', message: '有需求不存在、不属于该单位、尚是草稿或已关闭' }]);
  }
  return ids;
}
