/**
 * Required marks come from the forms' own schemas (src/web/forms.ts requiredFields: the fields an empty
 * submission is refused for), and the address forms' cascading regions from the taxonomy (regionTree).
 */
import t from 'tap';
import { requiredFields } from '../../src/web/forms.js';
import { VendorRegisterForm } from '../../src/suppliers/pages-forms.js';
import { BuyerRegistrationForm, EventForm } from '../../src/events/forms.js';
import { ProductForm } from '../../src/suppliers/pages-forms.js';
import { regionTree, taxonomy } from '../../src/taxonomy/index.js';

t.test('the required fields of a form are those its schema refuses empty', async (t) => {
  const vendor = requiredFields(VendorRegisterForm);
  for (const name of ['name', 'creditCode', 'province']) t.ok(vendor[name], `${name} is required`);
  for (const name of ['district', 'website', 'address']) t.notOk(vendor[name], `${name} is optional`);
  const buyer = requiredFields(BuyerRegistrationForm);
  t.ok(buyer['buyer.name'], 'a new buyer needs its name');
  t.notOk(buyer['buyer.district']);
  const product = requiredFields(ProductForm);
  for (const name of ['name', 'model', 'category']) t.ok(product[name], `product ${name} is required`);
  const event = requiredFields(EventForm);
  for (const name of ['title', 'tables', 'date']) t.ok(event[name], `event ${name} is required`);
  t.notOk(event.description, 'an event\'s description is optional');
});

t.test('the cascading regions: provinces, their cities, the cities\' districts, from the taxonomy', async (t) => {
  const tree = regionTree();
  t.same(tree.provinces, ['浙江省']);
  t.same(tree.cities['浙江省'], taxonomy.regions.zhejiangCities);
  t.ok(tree.districts['杭州市'].includes('滨江区'));
  t.notOk(tree.districts['宁波市'], 'a city the seed data does not detail is typed by hand');
});
