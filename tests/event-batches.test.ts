/**
 * The engine hands events to its hooks (recorder, live viewers) in batches of at most 1,024, also
 * within a step: a round of 10,000 agents would otherwise hold its 10,000 events, and a 5 MB line
 * of text, until the round ends (bench/policy-throughput.ts: about 10 % more decisions per second
 * at 10,000 agents). Batching must lose, repeat or reorder nothing.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AgoraEvent } from "../sim/core/events.js";
import { startRunFrom } from "../sim/app/run.js";
import { readEvents, tempDir } from "./support/llm-helpers.js";

const tmp = tempDir("event-batches");
afterAll(() => tmp.cleanup());

describe("event batches", () => {
  it("reach the hooks at most 1,024 at a time, in seq order, every event once", async () => {
    const batches: AgoraEvent[][] = [];
    const out = join(tmp.path, "run");
    const result = await startRunFrom(
      {
        scenario: "donor-game",
        seed: 2,
        generations: 1,
        // A round is 3,000 moves: one step of 3,000 interaction events.
        population: { size: 3000, minds: [{ count: 3000, policy: "tit-for-tat" }] },
        cache: { mode: "off" },
      },
      tmp.path,
      { out, hooks: { onEvents: (events) => batches.push([...events]) } },
    );
    expect(result.status).toBe("completed");
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(1024);
    const seqs = batches.flat().map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(batches.flat()).toEqual(readEvents(out));
  });
});
