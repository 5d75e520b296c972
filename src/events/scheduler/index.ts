/** The meeting scheduler: a pure function and its types. The exact MIP that checks it (bench/mip.ts) is for tests and the bench only. */
export { schedule } from './schedule.js';
export { upperBound, type WeightBound } from './bound.js';
export { pairWeight, pairClass, wishWeights } from './weights.js';
export * from './types.js';
