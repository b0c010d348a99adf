/**
 * Batches of LLM runs against the fake OpenAI-compatible server: the batch-wide budget cap, failure
 * isolation and --retry-failed (first through the CLI for its exit codes and output, then in
 * process), the dry-run estimate from the cache, and the resources the runs share.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BatchFile } from "../sim/app/batch/batch-file.js";
import type { Manifest } from "../sim/core/recorder.js";
import { startFakeOpenAI, type FakeOpenAI } from "./support/fake-openai.js";
import { estimateBatch, formatEstimate } from "../sim/app/batch/dry-run.js";
import { prepareBatch, runBatch } from "../sim/app/batch/runner.js";
import {
  deterministicScript,
  overlappingScript,
  listFiles,
  llmConfig,
  llmWorkspace,
  readJson,
  runCli,
  sum,
  writeConfig,
} from "./support/llm-helpers.js";

const ENV = { FAKE_KEY: "sk-batch-test" };
/**
 * Calls of one run of the 4-agent, 1-generation Donor Game: 4 strategies + 12 rounds x 2 donors x 2
 * games.
 */
const CALLS_PER_RUN = 52;

const workspace = llmWorkspace("batch-llm");
const setup = (extra: Record<string, unknown> = {}) =>
  workspace.setup({ size: 4, generations: 1, extra });

const batchFile = (dir: string) => readJson<BatchFile>(join(dir, "batch.json"));
const manifestOf = (dir: string, id: string) =>
  readJson<Manifest>(join(dir, "runs", id, "manifest.json"));

describe("the batch budget", () => {
  it("--max-calls caps the calls of all runs together; raising it and re-running finishes from the cache", async () => {
    const { work, configPath, fake } = await setup();
    const out = join(work, "capped");
    const args = ["batch", configPath, "--seeds", "0..3", "--out", out, "--concurrency", "2"];
    const capped = await runCli([...args, "--max-calls", "100", "--quiet"], ENV);
    expect(capped.stderr).toBe("");
    expect(capped.code).toBe(3);
    expect(capped.stdout).toMatch(/the batch budget \(max-calls 100\) is exhausted/);

    const file = batchFile(out);
    expect(file.status).toBe("budget-exhausted");
    expect(file.budget).toEqual({ maxCost: null, maxCalls: 100, exhausted: true });
    const calls = file.runs.map((r) => manifestOf(out, r.id).totals.calls);
    expect(sum(calls)).toBe(100);
    expect(file.totals.calls).toBe(100);
    expect(fake.requests).toHaveLength(100);
    // Which runs got how far depends on timing; that every run is either whole or stopped by the
    // cap does not.
    const stopped = file.runs.filter((r) => r.status === "budget-exhausted");
    expect(stopped.length).toBeGreaterThanOrEqual(2);
    for (const run of file.runs) {
      const manifest = manifestOf(out, run.id);
      if (run.status === "completed") expect(manifest.totals.calls).toBe(CALLS_PER_RUN);
      else expect(manifest.error, run.id).toMatch(/max-calls cap of 100 reached/);
    }

    const raised = await runBatch(prepareBatch({ configPath, seeds: "0..3" }), {
      out,
      concurrency: 2,
      llmConcurrency: 32,
      maxCalls: 1000,
      env: ENV,
    });
    expect(raised.status).toBe("completed");
    const done = batchFile(out);
    expect(done.runs.map((r) => r.status)).toEqual(Array(4).fill("completed"));
    expect(done.totals.calls).toBe(4 * CALLS_PER_RUN);
    // The first 100 answers came back from the cache: nothing was paid for twice.
    expect(fake.requests).toHaveLength(4 * CALLS_PER_RUN);
  }, 60_000);
});

describe("failure isolation", () => {
  let bad: FakeOpenAI | undefined;

  it("a condition whose endpoint fails fails alone; --retry-failed retries only its runs", async () => {
    bad = await startFakeOpenAI({ script: () => ({ status: 500 }) });
    try {
      const { work, fake } = await setup();
      const config = llmConfig({
        baseURL: fake.baseURL,
        cacheDir: join(work, "cache"),
        size: 4,
        generations: 1,
        maxRetries: 0,
      });
      const profiles = config.profiles as Record<string, Record<string, unknown>>;
      profiles.broken = { ...profiles.fake, model: "other-model", baseURL: bad.baseURL };
      const configPath = writeConfig(work, "two-endpoints.yaml", config);
      const out = join(work, "isolated");
      const request = {
        configPath,
        seeds: "0,1",
        grid: [["population.minds.0.profile", ["fake", "broken"]]] as [string, unknown[]][],
      };
      const again = (retryFailed: boolean) =>
        runBatch(prepareBatch(request), {
          out,
          concurrency: 4,
          llmConcurrency: 64,
          retryFailed,
          env: ENV,
        });

      const first = await runCli(
        [
          "batch",
          configPath,
          "--seeds",
          "0,1",
          "--grid",
          "population.minds.0.profile=fake,broken",
          "--out",
          out,
        ],
        ENV,
      );
      expect(first.code).toBe(1);
      const file = batchFile(out);
      expect(file.status).toBe("failed");
      const byCondition = Object.fromEntries(file.runs.map((r) => [r.id, [r.status, r.error]]));
      expect(byCondition["population.minds.0.profile-fake__s0"]).toEqual(["completed", null]);
      expect(byCondition["population.minds.0.profile-fake__s1"]).toEqual(["completed", null]);
      for (const id of [
        "population.minds.0.profile-broken__s0",
        "population.minds.0.profile-broken__s1",
      ]) {
        expect(byCondition[id]![0]).toBe("failed");
        expect(byCondition[id]![1]).toMatch(/500/);
        expect(first.stdout).toContain(`failed ${id}: `);
      }
      // Plain progress lines on stderr (not a TTY here): each run's start and end, then the
      // overall line; the summary on stdout ends with the overall line too.
      expect(first.stderr).toMatch(/^start population\.minds\.0\.profile-fake__s0$/m);
      expect(first.stderr).toMatch(
        /^completed population\.minds\.0\.profile-fake__s1: 1 generation\(s\), 52 LLM call\(s\), \$\d+\.\d{4}$/m,
      );
      expect(first.stderr).toMatch(
        /^failed population\.minds\.0\.profile-broken__s0: 0 generation\(s\), 0 LLM call\(s\), \$0\.0000; error: .*500/m,
      );
      expect(first.stderr).toMatch(
        /^batch: runs 4\/4 done · 2 failed · 0 running · ETA 0 s · calls 104 · /m,
      );
      expect(first.stdout).toMatch(
        /^batch: runs 4\/4 done · 2 failed · 0 running · ETA 0 s · calls 104 · /m,
      );
      expect(first.stdout).not.toMatch(/^start /m);
      const csv = readFileSync(join(out, "runs.csv"), "utf8");
      expect(csv.split("\n").filter((line) => line.includes(",failed,"))).toHaveLength(2);
      const goodRequests = fake.requests.length;
      expect(goodRequests).toBe(2 * CALLS_PER_RUN);
      const goodEvents = readFileSync(
        join(out, "runs", "population.minds.0.profile-fake__s0", "events.jsonl"),
        "utf8",
      );

      // Without --retry-failed, a re-run leaves the failed runs failed and calls nobody.
      const badRequests = bad.requests.length;
      expect((await again(false)).status).toBe("failed");
      expect(bad.requests.length).toBe(badRequests);
      expect(fake.requests.length).toBe(goodRequests);

      // The endpoint recovers: --retry-failed runs exactly the failed runs again.
      bad.setScript(deterministicScript());
      expect((await again(true)).status).toBe("completed");
      expect(batchFile(out).runs.map((r) => r.status)).toEqual(Array(4).fill("completed"));
      expect(fake.requests.length).toBe(goodRequests);
      expect(bad.requests.length - badRequests).toBe(2 * CALLS_PER_RUN);
      expect(
        readFileSync(
          join(out, "runs", "population.minds.0.profile-fake__s0", "events.jsonl"),
          "utf8",
        ),
      ).toBe(goodEvents);
    } finally {
      await bad?.close();
    }
  }, 60_000);
});

describe("--dry-run", () => {
  it("estimates the whole batch from one cached run per condition, else with a policy standing in, and calls nobody", async () => {
    const { work, configPath, fake, cacheDir } = await setup();
    const out = join(work, "estimated");
    expect(
      (
        await runBatch(prepareBatch({ configPath, seeds: "0,1" }), {
          out,
          concurrency: 2,
          llmConcurrency: 32,
          env: ENV,
        })
      ).status,
    ).toBe("completed");
    const requests = fake.requests.length;
    const seed0 = manifestOf(out, "baseline__s0").totals;
    expect(seed0.calls).toBe(CALLS_PER_RUN);

    const estimate = async (seeds: string) => {
      const plan = prepareBatch({ configPath, seeds });
      return { stdout: formatEstimate(await estimateBatch(plan, out), plan) };
    };
    const dry = await estimate("0..7");
    expect(fake.requests.length).toBe(requests);
    const usage = (runs: number) =>
      `${runs * seed0.calls} call(s), ${runs * seed0.tokensIn} tokens in, ${runs * seed0.tokensOut} tokens out, $${(runs * seed0.cost).toFixed(4)}`;
    expect(dry.stdout).toContain(
      `baseline (seed 0, from the cache): per run ${usage(1)}; 8 run(s), 6 not completed`,
    );
    expect(dry.stdout).toContain(`fake (test-model, $1/$2 per M tokens in/out): ${usage(8)}`);
    expect(dry.stdout).toContain(`whole batch: ${usage(8)}`);
    expect(dry.stdout).toMatch(
      new RegExp(`still to run .*: ${usage(6).replace(/[$().]/g, "\\$&")}`),
    );
    expect(dry.stdout).not.toContain("at least");
    expect(batchFile(out).runs).toHaveLength(2); // the dry run wrote nothing into the batch

    // A seed the cache has never seen: a Donor Game policy stands in for the LLM minds; the calls
    // counted are the calls the LLM run makes (no re-asks here), and nothing is sent or cached.
    const cacheFiles = listFiles(cacheDir).length;
    const unseen = await estimate("5");
    expect(unseen.stdout).toMatch(
      new RegExp(
        `baseline \\(seed 5, policy \\S+ standing in for the LLM minds\\): per run ${CALLS_PER_RUN} call\\(s\\), \\d+ tokens in`,
      ),
    );
    expect(unseen.stdout).toContain("stand-in estimates are rough");
    expect(unseen.stdout).not.toContain("at least");
    expect(fake.requests.length).toBe(requests);
    expect(listFiles(cacheDir)).toHaveLength(cacheFiles);
  }, 60_000);
});

describe("resources shared by the runs of a process", () => {
  it("one LLM concurrency limit over all runs, and identical requests of two runs reach the endpoint once", async () => {
    const { work, configPath, fake } = await setup();
    const { script, peak } = overlappingScript();
    fake.setScript(script);
    // Two conditions whose prompts are identical (a cap far above the run's calls changes nothing
    // the model sees).
    const plan = prepareBatch({
      configPath,
      seeds: "0,1",
      grid: [["budget.maxCalls", [1000, 2000]]],
    });
    const result = await runBatch(plan, {
      out: join(work, "shared"),
      concurrency: 4,
      llmConcurrency: 3,
      env: ENV,
    });
    expect(result.status).toBe("completed");
    expect(peak()).toBeLessThanOrEqual(3);
    expect(sum(result.rows.map((r) => r.llm_calls))).toBe(4 * CALLS_PER_RUN);
    // Per seed, the two conditions asked the same things: each was paid for once (in flight or from
    // the cache).
    expect(fake.requests).toHaveLength(2 * CALLS_PER_RUN);
    const spent = result.file.runs.map((r) => manifestOf(result.dir, r.id).totals);
    expect(sum(spent.map((t) => t.calls - t.cacheHits))).toBe(2 * CALLS_PER_RUN);
  }, 60_000);
});
