/**
 * Files leave GridFS when nothing shows them any more. The supplier service's writes that can drop a
 * file reference — approving a revision (its images replace the published ones), rejecting one (its new
 * images were never live), archiving a product (its pending revision goes), replacing or removing the
 * logo, replacing a certificate scan in a profile edit or its review — are wrapped here: the wrapper notes the files the document refers to before the write, runs the
 * write (its own transaction), and once that has committed deletes those of the noted files that no
 * document refers to any more (`removeUnreferencedFiles`). Wrapping keeps service.ts free of GridFS.
 */
import { Types } from 'mongoose';
import type { Models } from '../infra/models.js';
import { removeUnreferencedFiles, type VendorFileDeps } from './files.js';
import type { SupplierService } from './service.js';

type FileIds = Array<Types.ObjectId | string | null | undefined>;

export function withFileCleanup(service: SupplierService, deps: VendorFileDeps & { models: Models; log?: { warn(obj: object, msg: string): void } }): SupplierService {
  const { Product, Vendor } = deps.models;

  const productFiles = async (id: unknown): Promise<FileIds> => {
    if (!Types.ObjectId.isValid(String(id))) return [];
    const product = await Product.findById(String(id), { images: 1, pendingRevision: 1 }).lean();
    const revision = (product?.pendingRevision?.changes as { images?: Array<{ fileId?: Types.ObjectId }> } | undefined)?.images ?? [];
    return [...(product?.images ?? []), ...revision].map((i) => i.fileId);
  };
  const logoFile = async (id: unknown): Promise<FileIds> => {
    if (!Types.ObjectId.isValid(String(id))) return [];
    return [(await Vendor.findById(String(id), { logo: 1 }).lean())?.logo?.fileId];
  };
  /** The certificate scans a company's record and its pending revision name. */
  const scanFiles = async (id: unknown): Promise<FileIds> => {
    if (!Types.ObjectId.isValid(String(id))) return [];
    const vendor = await Vendor.findById(String(id), { qualifications: 1, pendingRevision: 1 }).lean();
    const proposed = (vendor?.pendingRevision?.changes as { qualifications?: Array<{ scan?: { fileId?: Types.ObjectId } }> } | undefined)?.qualifications ?? [];
    return [...(vendor?.qualifications ?? []), ...proposed].map((q) => q.scan?.fileId);
  };

  /** Runs `write`; after it committed, deletes the noted files nothing refers to any more. */
  const cleaning = <A extends unknown[], R>(write: (...args: A) => Promise<R>, noted: (...args: A) => Promise<FileIds>) =>
    async (...args: A): Promise<R> => {
      const before = await noted(...args);
      const result = await write(...args);
      await removeUnreferencedFiles(deps, before);
      return result;
    };

  return {
    ...service,
    approveRevision: cleaning(service.approveRevision, (_user, id) => productFiles(id)),
    rejectRevision: cleaning(service.rejectRevision, (_user, id) => productFiles(id)),
    archiveProduct: cleaning(service.archiveProduct, (_user, id) => productFiles(id)),
    setVendorLogo: cleaning(service.setVendorLogo, (_user, id) => logoFile(id)),
    updateVendor: cleaning(service.updateVendor, (_user, id) => scanFiles(id)),
    approveVendorRevision: cleaning(service.approveVendorRevision, (_user, id) => scanFiles(id)),
    rejectVendorRevision: cleaning(service.rejectVendorRevision, (_user, id) => scanFiles(id)),
  };
}
