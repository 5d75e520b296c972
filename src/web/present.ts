/**
 * A lean MongoDB document's optional fields as JSON answers give them: the driver hands back a missing
 * field as null or undefined, and the answer leaves it out.
 */
export function present<T extends object, K extends keyof T>(doc: T, keys: readonly K[]): { [P in K]?: NonNullable<T[P]> } {
  const out: { [P in K]?: NonNullable<T[P]> } = {};
  for (const key of keys) {
    const value = doc[key];
    if (value !== null && value !== undefined) out[key] = value as NonNullable<T[typeof key]>;
  }
  return out;
}
