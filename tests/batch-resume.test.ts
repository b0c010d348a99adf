/**
 * Resume and skip: a batch stopped midway (aborted in process, or SIGKILLed through the CLI) and
 * started again leaves finished runs untouched, resumes the unfinished ones from their last
 * generation, and ends with the same tables as a batch that was never interrupted.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchFile } from "../sim/app/batch/batch-file.js";
import { prepareBatch, runBatch, type BatchResult } from "../sim/app/batch/runner.js";
import { readCheckpoint, type Manifest } from "../sim/core/recorder.js";
import { readJson, runCli, sleep, spawnCli, tempDir, writeConfig } from "./support/llm-helpers.js";

const tmp = tempDir("batch-resume");
afterAll(tmp.cleanup);

const CONFIG = {
  scenario: "donor-game",
  seed: 0,
  generations: 6,
  population: {
    size: 12,
    minds: [
      { count: 4, policy: "constant", fraction: 0.5 },
      { count: 4, policy: "tit-for-tat" },
      { count: 4, policy: "random" },
    ],
  },
  cache: { dir: join(tmp.path, "cache") },
  batch: { seeds: "0..3", grid: { "donorGame.punishment": ["none", "costly"] } },
};

let configPath: string;
let reference: BatchResult;

beforeAll(async () => {
  configPath = writeConfig(tmp.path, "policies.yaml", CONFIG);
  reference = await runBatch(prepareBatch({ configPath }), {
    out: join(tmp.path, "reference"),
    concurrency: 4,
    llmConcurrency: 16,
  });
}, 60_000);

/**
 * The runs table without the columns that differ between two batch directories of the same batch
 * (batch id, wall time).
 */
async function runsTable(dir: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT * EXCLUDE (batch, wall_s) FROM read_parquet('${join(dir, "runs.parquet")}') ORDER BY run`,
    );
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const runDir = (batch: string, id: string) => join(batch, "runs", id);
const fingerprint = (dir: string) => ({
  mtime: statSync(join(dir, "events.jsonl")).mtimeMs,
  events: readFileSync(join(dir, "events.jsonl"), "utf8"),
  manifest: readFileSync(join(dir, "manifest.json"), "utf8"),
});

async function expectSameTablesAsReference(dir: string): Promise<void> {
  // The tables built from the runs' events too: a resumed run's rows are extracted again.
  for (const table of ["metrics", "agents", "interactions", "llm_calls"])
    expect(readFileSync(join(dir, `${table}.csv`), "utf8"), table).toBe(
      readFileSync(join(reference.dir, `${table}.csv`), "utf8"),
    );
  expect(await runsTable(dir)).toEqual(await runsTable(reference.dir));
}

describe("resume and skip", () => {
  it("the reference batch completed every run", () => {
    expect(reference.status).toBe("completed");
    expect(reference.rows.map((r) => r.status)).toEqual(Array(8).fill("completed"));
  });

  it("aborted after its first finished run, then re-run: finished runs untouched, stopped ones resumed, same tables", async () => {
    const out = join(tmp.path, "aborted");
    const abort = new AbortController();
    const first = await runBatch(prepareBatch({ configPath }), {
      out,
      concurrency: 2,
      llmConcurrency: 16,
      signal: abort.signal,
      observer: { onRunEnd: () => abort.abort() },
    });
    expect(first.status).toBe("interrupted");
    const statuses = first.file.runs.map((r) => r.status);
    expect(statuses.filter((s) => s === "completed")).toHaveLength(1);
    expect(statuses.filter((s) => s === "interrupted")).toHaveLength(1);
    expect(statuses.filter((s) => s === "pending")).toHaveLength(6);
    const done = first.file.runs.find((r) => r.status === "completed")!.id;
    const stopped = first.file.runs.find((r) => r.status === "interrupted")!.id;
    const before = fingerprint(runDir(out, done));

    const begun: [string, string][] = [];
    const second = await runBatch(prepareBatch({ configPath }), {
      out,
      concurrency: 2,
      llmConcurrency: 16,
      observer: { onRunBegin: (spec, mode) => begun.push([spec.id, mode]) },
    });
    expect(second.status).toBe("completed");
    expect(begun).toContainEqual([stopped, "resume"]);
    expect(begun.filter(([, mode]) => mode === "resume")).toHaveLength(1);
    expect(begun.map(([id]) => id)).not.toContain(done);
    expect(fingerprint(runDir(out, done))).toEqual(before);
    const resumed = readJson<Manifest>(join(runDir(out, stopped), "manifest.json"));
    expect(resumed.resumes).toHaveLength(1);
    await expectSameTablesAsReference(out);

    // A third start has nothing left to do and changes no run.
    const third = await runBatch(prepareBatch({ configPath }), {
      out,
      concurrency: 2,
      llmConcurrency: 16,
      observer: { onRunBegin: (spec) => begun.push([spec.id, "again"]) },
    });
    expect(third.status).toBe("completed");
    expect(begun.filter(([, mode]) => mode === "again")).toEqual([]);
  }, 60_000);

  it("killed with SIGKILL through the CLI midway, then the same command again: exit 0 and the same tables", async () => {
    // The run seen mid-way may finish before the kill lands (policy runs are fast): kill again in
    // a fresh directory, a bounded number of times, until a crashed run holds a checkpoint.
    let killed: Awaited<ReturnType<typeof killMidway>> | undefined;
    for (let attempt = 1; attempt <= 5; attempt++) {
      killed = await killMidway(join(tmp.path, `killed-${attempt}`));
      if (Math.max(0, ...Object.values(killed.checkpointed)) >= 1) break;
    }
    const { out, args, finished, before, crashed, checkpointed } = killed!;
    expect(crashed.length).toBeGreaterThan(0);
    // Where each crashed run stood on disk when it was killed: a run killed before its first
    // checkpoint restarts from generation 1; at least one had a checkpoint.
    expect(Math.max(...Object.values(checkpointed))).toBeGreaterThanOrEqual(1);

    const again = await runCli([...args, "--quiet"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/batch completed: 8 completed, 0 failed/);
    for (const id of finished) expect(fingerprint(runDir(out, id)), id).toEqual(before[id]);
    for (const { id } of crashed) {
      const manifest = readJson<Manifest>(join(runDir(out, id), "manifest.json"));
      expect(manifest.status).toBe("completed");
      expect(manifest.resumes.length, id).toBe(1);
      expect(manifest.resumes[0]!.fromGeneration, id).toBe(checkpointed[id]! + 1);
    }
    await expectSameTablesAsReference(out);
  }, 90_000);
});

/** A run's status in its manifest; undefined before it started. */
function manifestStatus(out: string, id: string): string | undefined {
  try {
    return readJson<Manifest>(join(runDir(out, id), "manifest.json")).status;
  } catch {
    return undefined;
  }
}

/**
 * Starts the batch from the CLI and SIGKILLs it once one run has completed and another is mid-way.
 */
async function killMidway(out: string) {
  const args = ["batch", configPath, "--out", out, "--concurrency", "2"];
  const proc = spawnCli(args);
  let file: BatchFile | undefined;
  try {
    for (;;) {
      await sleep(20);
      try {
        file = readJson<BatchFile>(join(out, "batch.json"));
      } catch {
        continue; // not written yet
      }
      // batch.json can still say running for a run that has just ended: its own manifest says
      // whether it is mid-way.
      const running = file.runs.filter(
        (r) =>
          r.status === "running" &&
          r.generationsCompleted >= 1 &&
          manifestStatus(out, r.id) === "running",
      );
      if (file.runs.some((r) => r.status === "completed") && running.length > 0) break;
      if (file.status !== "running")
        throw new Error(`the batch ended (${file.status}) before it could be killed midway`);
    }
  } finally {
    proc.child.kill("SIGKILL");
  }
  expect((await proc.done).signal).toBe("SIGKILL");
  const finished = file!.runs.filter((r) => r.status === "completed").map((r) => r.id);
  const before = Object.fromEntries(finished.map((id) => [id, fingerprint(runDir(out, id))]));
  const crashed = file!.runs.filter((r) => manifestStatus(out, r.id) === "running");
  const checkpointed = Object.fromEntries(
    crashed.map(({ id }) => [id, readCheckpoint(runDir(out, id))?.generation ?? 0]),
  );
  return { out, args, finished, before, crashed, checkpointed };
}
