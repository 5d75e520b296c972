/**
 * The taxonomy (fields, categories, certifications, regions) shipped in seeds/taxonomy.json. It is
 * configuration: read once from the file, never changed at run time, and also written to MongoDB by the
 * seeder so aggregations can join on it.
 */
import fs from 'node:fs';

export interface Category { code: string; name: string; examples: string[] }
export interface Field { code: string; name: string; categories: Category[] }
export interface Certification { code: string; name: string }
export interface Taxonomy {
  fields: Field[];
  certifications: Certification[];
  regions: {
    home: { province: string; city: string; district: string };
    hangzhouDistricts: string[];
    zhejiangCities: string[];
  };
}

const file = new URL('../../seeds/taxonomy.json', import.meta.url);
export const taxonomy: Taxonomy = JSON.parse(fs.readFileSync(file, 'utf8')) as Taxonomy;

export const fieldCodes = taxonomy.fields.map((f) => f.code);
export const certificationCodes = taxonomy.certifications.map((c) => c.code);
const categoryField = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => [c.code, f.code] as const)));

export function fieldOfCategory(category: string): string | undefined {
  return categoryField.get(category);
}
export function fieldName(code: string): string {
  return taxonomy.fields.find((f) => f.code === code)?.name ?? code;
}
export function certificationName(code: string): string {
  return taxonomy.certifications.find((c) => c.code === code)?.name ?? code;
}

/**
 * The regions the address forms offer as cascading choices: the provinces, each known province's cities
 * and each known city's districts (the seed data knows Zhejiang's cities and Hangzhou's districts).
 * Anything else is typed by hand.
 */
export function regionTree(): { provinces: string[]; cities: Record<string, string[]>; districts: Record<string, string[]> } {
  const { home, zhejiangCities, hangzhouDistricts } = taxonomy.regions;
  return {
    provinces: [home.province],
    cities: { [home.province]: zhejiangCities },
    districts: { [home.city]: hangzhouDistricts },
  };
}
