import { gini as giniOrNull, mean as meanOrNull } from "../../sim/toolkit/stats.js";

/** Resource metrics read 0 for an empty set (decision metrics use the null-for-none mean). */
export const mean = (xs: ArrayLike<number>): number => meanOrNull(xs) ?? 0;

/** Gini coefficient of resources (sim/toolkit/stats.ts), 0 for an empty set like `mean`. */
export const gini = (xs: readonly number[]): number => giniOrNull(xs) ?? 0;
