/**
 * Embedding metrics end to end: texts are embedded through a profile's OpenAI-compatible endpoint
 * (the fake server), and the vectors come back from the run's response cache on a replay.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  readEvents,
  readJsonlStrict,
  runCli,
  writeConfig,
} from "../../../tests/support/llm-helpers.js";
import {
  distinctPersonas,
  storyWorkspace,
  textsWritten,
  transmissionLlmConfig,
} from "../../../tests/support/transmission-helpers.js";

const workspace = storyWorkspace();

describe("embedding metrics", () => {
  it("embed each generation's texts through the profile's endpoint, cached, so a replay needs no server", async () => {
    const { dir, fake } = await workspace.start();
    const cacheDir = join(dir, "cache");
    const config = writeConfig(
      dir,
      "run.yaml",
      transmissionLlmConfig({
        baseURL: fake.baseURL,
        cacheDir,
        size: 4,
        generations: 2,
        profiles: { emb: { model: "embed-model", baseURL: fake.baseURL } },
        transmission: { personaList: distinctPersonas(4), metrics: { embeddings: "emb" } },
      }),
    );
    const first = await runCli(["run", config, "--out", join(dir, "a")]);
    expect(first.code).toBe(0);
    const embedded = fake.embeddingRequests.flatMap((r) => r.input);
    const texts = [...textsWritten(readEvents(join(dir, "a"))).values()].map((w) => w.text);
    expect(embedded.sort()).toEqual(texts.sort());
    await workspace.closeEndpoint();
    const replay = await runCli([
      "run",
      config,
      "--cache",
      "replay",
      "--out",
      join(dir, "b"),
      "--quiet",
    ]);
    expect(replay.stderr).toBe("");
    expect(replay.code).toBe(0);
    const metrics = (run: string) =>
      readJsonlStrict<Record<string, number | null>>(join(dir, run, "metrics.jsonl"));
    expect(metrics("a").map((r) => r.embeddingWithin)).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);
    expect(metrics("b")).toEqual(metrics("a"));
  });
});
