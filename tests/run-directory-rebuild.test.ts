/**
 * One channel: metrics.jsonl and agents.jsonl are written from the event stream, so a run directory
 * can be rebuilt from events.jsonl alone, byte for byte, in every scenario (and for imported runs).
 */
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rebuildTables } from "../sim/core/recorder.js";
import { ROOT, runCli, tempDir } from "./support/llm-helpers.js";

const tmp = tempDir("rebuild");
afterAll(() => tmp.cleanup());

const CONFIGS = [
  "donor-game/offline-demo.yaml",
  "debate/offline-evolving.yaml",
  "transmission/offline-chains.yaml",
];

describe("a run directory rebuilt from events.jsonl alone", () => {
  for (const config of CONFIGS) {
    it(`equals the recorded one: ${config}`, async () => {
      const dir = join(tmp.path, config.replace(/\W+/g, "-"));
      const run = await runCli([
        "run",
        join(ROOT, "scenarios", config),
        "--out",
        dir,
        "--cache",
        "off",
      ]);
      expect(run.code, run.stderr).toBe(0);
      const recorded = Object.fromEntries(
        ["metrics.jsonl", "agents.jsonl"].map((f) => [f, readFileSync(join(dir, f), "utf8")]),
      );
      for (const f of Object.keys(recorded)) {
        copyFileSync(join(dir, f), join(dir, `${f}.recorded`));
        rmSync(join(dir, f));
      }
      const counts = rebuildTables(dir);
      expect(counts.metrics).toBeGreaterThan(0);
      expect(counts.agents).toBeGreaterThan(0);
      for (const [f, text] of Object.entries(recorded))
        expect(readFileSync(join(dir, f), "utf8"), f).toBe(text);
    });
  }
});
