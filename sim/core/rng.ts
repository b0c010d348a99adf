import { hash } from "node:crypto";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";

/**
 * A seeded random stream. Every subsystem derives its own stream from the run seed and a
 * path (e.g. ["pairing", 3]) so that adding a draw in one place never shifts another's draws,
 * and a resumed run can rebuild any generation's streams without saved generator state.
 */
export class Rng {
  private generator: JumpableRandomGenerator | undefined;

  constructor(
    readonly seed: number,
    readonly path: readonly (string | number)[] = [],
  ) {}

  /**
   * Seeded on the first draw: many streams (one per decision) are never drawn from, and hashing
   * the path is most of what a stream costs.
   */
  private get gen(): JumpableRandomGenerator {
    return (this.generator ??= xoroshiro128plus(deriveSeed(this.seed, this.path)));
  }

  /** An independent child stream; the same (seed, path) always gives the same stream. */
  derive(...path: (string | number)[]): Rng {
    return new Rng(this.seed, [...this.path, ...path]);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.gen, min, max);
  }

  bool(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.pick: empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Standard normal draw (Box-Muller). */
  normal(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle into a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

export function deriveSeed(seed: number, path: readonly (string | number)[]): number {
  // The one-shot hash: half the cost of createHash(...).update(...).digest(), the same digest.
  return hash("sha256", JSON.stringify([seed, ...path]), "buffer").readInt32LE(0);
}
