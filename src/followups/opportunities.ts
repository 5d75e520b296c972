/**
 * The vendor's opportunity feed (商机, /vendor/opportunities): open demands ranked for the vendor's
 * products by the matching engine, with the reasons, the buyer and the follow-up buttons.
 */
import type { FastifyPluginAsync } from 'fastify';
import { fieldName } from '../taxonomy/index.js';
import { followUpPartial } from './service.js';
import { requireUser } from '../accounts/index.js';

const levelNames: Record<string, string> = { province: '省级', city: '市级', district: '区级' };

const opportunityPages: FastifyPluginAsync = async (app) => {
  app.get('/vendor/opportunities', { config: { access: ['vendor'] } }, async (request, reply) => {
    const user = requireUser(request);
    const vendor = user.vendorId ? await app.models.Vendor.findById(user.vendorId, { name: 1, status: 1 }).lean() : null;
    if (!vendor) {
      return reply.page('followups/opportunities.hbs', { title: '商机', noVendor: true });
    }
    const vendorId = String(vendor._id);
    let unavailable = false;
    let opportunities: Awaited<ReturnType<typeof app.matching.opportunitiesFor>> = [];
    try {
      opportunities = await app.matching.opportunitiesFor(vendorId, { limit: 30 });
    } catch (err) {
      // Meilisearch down: the page still answers and says so.
      request.log.warn({ err }, '商机推荐暂不可用');
      unavailable = true;
    }
    const followUps = await app.followUps.forVendor(vendorId, opportunities.map((o) => o.demand.id));
    const demandStatus = new Map(
      (await app.models.Demand.find({ _id: { $in: opportunities.map((o) => o.demand.id) } }, { status: 1, buyerOrg: 1 }).lean())
        .map((d) => [String(d._id), d]),
    );
    const items = opportunities.map((o) => {
      const demand = demandStatus.get(o.demand.id);
      return {
        ...o,
        percent: Math.round(o.score * 100),
        fieldName: o.demand.field ? fieldName(o.demand.field) : '',
        levelName: levelNames[o.demand.buyer.level] ?? o.demand.buyer.level,
        reasons: o.reasons.filter((r) => r.text),
        followUp: followUpPartial(user, { id: o.demand.id, buyerOrg: demand?.buyerOrg, status: demand?.status ?? 'open' }, vendorId, followUps.get(o.demand.id), {
          back: `/vendor/opportunities#op-${o.demand.id}`,
        }),
      };
    });
    return reply.page('followups/opportunities.hbs', {
      title: '商机',
      vendor: { name: vendor.name, approved: vendor.status === 'approved' },
      items,
      unavailable,
    });
  });
};
export default opportunityPages;
