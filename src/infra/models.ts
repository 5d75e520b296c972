// The one model registry. It imports each capability's model.ts directly (the boundary rule in
// eslint.config.js allows this file only): model files are pure schemas, so this keeps the registry free
// of the capability plugins and their import graph.
import type { Connection } from 'mongoose';
import { accountModels } from '../accounts/model.js';
import { auditModels } from '../audit/model.js';
import { buyerModels } from '../buyers/model.js';
import { demandModels } from '../demands/model.js';
import { eventModels } from '../events/model.js';
import { backgroundModels } from './background.js';
import { followUpModels } from '../followups/model.js';
import { listBatchModels } from '../list-batches/model.js';
import { notificationModels } from '../notifications/model.js';
import { reportModels } from '../reports/model.js';
import { searchModels } from '../search/model.js';
import { seedingModels } from '../seeding/model.js';
import { supplierModels } from '../suppliers/model.js';
import { taxonomyModels } from '../taxonomy/model.js';
import { visitModels } from '../visits/model.js';
import { threadModels } from '../threads/model.js';

/**
 * Every capability's models, bound to one connection (tests give each file its own database). buildApp
 * awaits each model's init(), so every collection exists before the first transaction writes to it.
 * (Import jobs are the one exception: the job engine binds a pair of collections per importer.)
 */
export function createModels(conn: Connection) {
  return {
    ...accountModels(conn),
    ...supplierModels(conn),
    ...buyerModels(conn),
    ...demandModels(conn),
    ...taxonomyModels(conn),
    ...seedingModels(conn),
    ...searchModels(conn),
    ...backgroundModels(conn),
    ...followUpModels(conn),
    ...notificationModels(conn),
    ...eventModels(conn),
    ...auditModels(conn),
    ...reportModels(conn),
    ...listBatchModels(conn),
    ...visitModels(conn),
    ...threadModels(conn),
  };
}
export type Models = ReturnType<typeof createModels>;
