/** The placeholder icon of a product without an image: one SVG per field in public/img/fields/ (pure). */
import { fieldCodes } from '../taxonomy/index.js';

const known = new Set<string>(fieldCodes);
export const fieldIcon = (field: string): string => (known.has(field) ? field : 'other');
