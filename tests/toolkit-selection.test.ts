import { describe, expect, it } from "vitest";
import { Rng } from "../sim/core/rng.js";
import { select } from "../sim/toolkit/selection.js";

const truncation = (survivorFraction: number) =>
  ({ kind: "truncation", survivorFraction }) as const;
const scored = (scores: Record<string, number>) => (id: string) => scores[id]!;
const rng = new Rng(1);

describe("truncation selection", () => {
  it("ranks by score, keeps the top fraction and removes the rest, both in ranking order", () => {
    const out = select(truncation(0.5), {
      order: ["a", "b", "c", "d"],
      score: scored({ a: 1, b: 4, c: 3, d: 2 }),
      rng,
    });
    expect(out.ranking).toEqual(["b", "c", "d", "a"]);
    expect(out.survivors).toEqual(["b", "c"]);
    expect(out.removed).toEqual(["d", "a"]);
    // Nothing is drawn, so no event can find itself without a neighbour.
    expect(out.stranded).toBe(0);
  });

  it("breaks ties by the given order", () => {
    const score = scored({ a: 1, b: 1, c: 1, d: 0 });
    expect(select(truncation(0.5), { order: ["a", "b", "c", "d"], score, rng }).survivors).toEqual([
      "a",
      "b",
    ]);
    expect(select(truncation(0.5), { order: ["c", "d", "b", "a"], score, rng }).ranking).toEqual([
      "c",
      "b",
      "a",
      "d",
    ]);
  });

  it.each([
    [0.25, 8, 2],
    [0.3, 10, 3],
    [0.5, 5, 2],
    [0.75, 4, 3],
    [0.99, 4, 3],
  ])("fraction %d of %d keeps %d (rounded down)", (fraction, n, keep) => {
    const order = Array.from({ length: n }, (_, i) => `x${i}`);
    const out = select(truncation(fraction), { order, score: () => 0, rng });
    expect(out.survivors).toHaveLength(keep);
    expect(out.removed).toHaveLength(n - keep);
  });

  it("keeps at least one survivor", () => {
    const out = select(truncation(0.1), {
      order: ["a", "b", "c"],
      score: scored({ a: 0, b: 2, c: 1 }),
      rng,
    });
    expect(out.survivors).toEqual(["b"]);
    expect(out.removed).toEqual(["c", "a"]);
    expect(select(truncation(0.5), { order: ["solo"], score: () => 0, rng })).toMatchObject({
      survivors: ["solo"],
      removed: [],
    });
  });

  it("gives each removed agent's newcomer all survivors as parents, one frozen list", () => {
    const out = select(truncation(0.5), {
      order: ["a", "b", "c", "d"],
      score: scored({ a: 4, b: 3, c: 2, d: 1 }),
      rng,
    });
    expect([...out.parentsOf.keys()]).toEqual(["c", "d"]);
    expect(out.parentsOf.get("c")).toEqual(["a", "b"]);
    expect(out.parentsOf.get("d")).toEqual(["a", "b"]);
    // Shared, not copied per newcomer (that is survivors x removed ids), and frozen so that no
    // newcomer's change reaches another's.
    expect(out.parentsOf.get("c")).toBe(out.parentsOf.get("d"));
    expect(Object.isFrozen(out.parentsOf.get("c"))).toBe(true);
    expect(out.parentsOf.get("c")).not.toBe(out.survivors);
  });

  it("draws nothing and leaves its inputs alone", () => {
    const order = ["a", "b", "c"];
    const draws = new Rng(7);
    select(truncation(0.5), { order, score: scored({ a: 0, b: 2, c: 1 }), rng: draws });
    expect(order).toEqual(["a", "b", "c"]);
    expect(draws.float()).toBe(new Rng(7).float());
  });
});
