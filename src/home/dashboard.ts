/** The figures of the home page and the organizers' workbench: approved vendors, products and demands. */
import type { Models } from '../infra/models.js';
import { taxonomy } from '../taxonomy/index.js';

type Count = { _id: string; n: number };
const countOf = (rows: Count[], key: string) => rows.find((r) => r._id === key)?.n ?? 0;

export function createHomeDashboard({ models }: { models: Pick<Models, 'Vendor' | 'Product' | 'Demand'> }) {
  const { Vendor, Product, Demand } = models;

  /** Every field of the taxonomy with its approved vendors and published products. */
  async function byField() {
    const [vendors, products] = await Promise.all([
      Vendor.aggregate<Count>([
        { $match: { status: 'approved' } },
        { $unwind: '$fields' },
        { $group: { _id: '$fields', n: { $sum: 1 } } },
      ]),
      Product.aggregate<Count>([
        { $match: { status: 'published' } },
        { $group: { _id: '$field', n: { $sum: 1 } } },
      ]),
    ]);
    return taxonomy.fields.map((f) => ({
      code: f.code,
      name: f.name,
      vendors: countOf(vendors, f.code),
      products: countOf(products, f.code),
      categories: f.categories.map((c) => c.name).join('、'),
    }));
  }

  return {
    /** What the public sees: approved vendors, published products, open demands, and by field. */
    async publicFigures() {
      const [vendors, products, demands, fields] = await Promise.all([
        Vendor.countDocuments({ status: 'approved' }),
        Product.countDocuments({ status: 'published' }),
        Demand.countDocuments({ status: 'open' }),
        byField(),
      ]);
      return { totals: { vendors, products, demands }, fields };
    },

    /** The workbench: vendors and products by status (what waits for review), open demands by buyer level. */
    async organizerFigures() {
      const [vendorStatus, productStatus, demandsByLevel, fields] = await Promise.all([
        Vendor.aggregate<Count>([{ $group: { _id: '$status', n: { $sum: 1 } } }]),
        Product.aggregate<Count>([{ $group: { _id: '$status', n: { $sum: 1 } } }]),
        Demand.aggregate<Count>([
          { $match: { status: 'open' } },
          { $lookup: { from: 'buyerorgs', localField: 'buyerOrg', foreignField: '_id', as: 'org' } },
          { $unwind: '$org' },
          { $group: { _id: '$org.level', n: { $sum: 1 } } },
        ]),
        byField(),
      ]);
      return {
        vendors: { approved: countOf(vendorStatus, 'approved'), submitted: countOf(vendorStatus, 'submitted'), suspended: countOf(vendorStatus, 'suspended') },
        products: { published: countOf(productStatus, 'published'), submitted: countOf(productStatus, 'submitted') },
        demands: { province: countOf(demandsByLevel, 'province'), city: countOf(demandsByLevel, 'city'), district: countOf(demandsByLevel, 'district') },
        fields,
      };
    },
  };
}
