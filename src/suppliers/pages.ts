/** The supplier list's pages: the vendor workbench and product pages, the organizers' review pages, and uploaded files. */
import type { FastifyPluginAsync } from 'fastify';
import vendorPages from './pages-vendor.js';
import productPages from './pages-products.js';
import organizerPages from './pages-organizer.js';
import filePages from './pages-files.js';

const supplierPages: FastifyPluginAsync = async (app) => {
  await app.register(vendorPages);
  await app.register(productPages);
  await app.register(organizerPages);
  await app.register(filePages);
};
export default supplierPages;
