/**
 * Issue 12's promise: a well-mixed complete graph with the paper's settings reproduces the results
 * of before networks came in, exactly. The fixture was recorded by the code before that change
 * (see its `recordedWith`); the runs here must give the same events, metrics and agent rows over
 * the keys and columns it has (later changes may add metrics and columns, never alter these).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startRunFrom } from "../sim/app/run.js";
import { PAPER_CONFIGS, paperDigest, type PaperDigest } from "./support/donor-paper.js";
import { ROOT, tempDir } from "./support/llm-helpers.js";

const fixture = JSON.parse(
  readFileSync(join(ROOT, "tests/fixtures/donor-game/paper-settings.json"), "utf8"),
) as { runs: Record<string, PaperDigest> };

const tmp = tempDir("paper-fixture");
afterAll(() => tmp.cleanup());

describe("the Donor Game with the paper's settings on the complete graph", () => {
  it.each(Object.keys(PAPER_CONFIGS))(
    "%s: events, metrics and agent rows as recorded",
    async (name) => {
      const recorded = fixture.runs[name]!;
      const out = join(tmp.path, name);
      const result = await startRunFrom(PAPER_CONFIGS[name]!, tmp.path, { out });
      expect(result.status).toBe("completed");
      const now = paperDigest(out, recorded);
      expect(now.metrics).toEqual(recorded.metrics);
      expect(now.events).toEqual(recorded.events);
      expect(now.agentsSha256).toBe(recorded.agentsSha256);
      expect(Object.keys(recorded.events)).toEqual(
        expect.arrayContaining(["agent-created", "interaction", "metric", "generation-ended"]),
      );
    },
  );
});
