import type { Connection } from 'mongoose';
import { accountModels } from '../accounts/model.js';
import { auditModels } from '../audit/model.js';
import { demandModels } from '../demands/model.js';
import { eventModels } from '../events/model.js';
import { backgroundModels } from './background.js';
import { followUpModels } from '../followups/model.js';
import { notificationModels } from '../notifications/model.js';
import { searchModels } from '../search/outbox.js';
import { seedingModels } from '../seeding/model.js';
import { historyModels } from '../suppliers/history.js';
import { supplierModels } from '../suppliers/model.js';
import { taxonomyModels } from '../taxonomy/model.js';

/** Every capability's models, bound to one connection (tests give each file its own database). */
export function createModels(conn: Connection) {
  return {
    ...accountModels(conn),
    ...supplierModels(conn),
    ...historyModels(conn),
    ...demandModels(conn),
    ...taxonomyModels(conn),
    ...seedingModels(conn),
    ...searchModels(conn),
    ...backgroundModels(conn),
    ...followUpModels(conn),
    ...notificationModels(conn),
    ...eventModels(conn),
    ...auditModels(conn),
  };
}
export type Models = ReturnType<typeof createModels>;
