import type { Connection } from 'mongoose';
import { accountModels } from '../accounts/model.js';
import { demandModels } from '../demands/model.js';
import { seedingModels } from '../seeding/model.js';
import { supplierModels } from '../suppliers/model.js';
import { taxonomyModels } from '../taxonomy/model.js';

/** Every capability's models, bound to one connection (tests give each file its own database). */
export function createModels(conn: Connection) {
  return {
    ...accountModels(conn),
    ...supplierModels(conn),
    ...demandModels(conn),
    ...taxonomyModels(conn),
    ...seedingModels(conn),
  };
}
export type Models = ReturnType<typeof createModels>;
