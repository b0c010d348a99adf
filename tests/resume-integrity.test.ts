/**
 * `agora resume` verifies a run directory before it writes to it. Each damaged directory (the
 * ways a crash, a power cut, a full disk or a stray edit leave one) is refused with exit 2 and a
 * message naming the file and the problem, and every file in it is left byte for byte as it was.
 */
import { createHash } from "node:crypto";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRunFrom } from "../sim/app/run.js";
import type { AgoraEvent } from "../sim/core/events.js";
import type { Checkpoint, Manifest } from "../sim/core/recorder.js";
import { listFiles, readJson, readJsonlStrict, runCli, tempDir } from "./support/llm-helpers.js";

/** Offline Donor Game: policy minds, no cache, three generations. */
const CONFIG = {
  scenario: "donor-game",
  seed: 11,
  generations: 3,
  population: {
    size: 8,
    minds: [
      { count: 4, policy: "constant", fraction: 0.5 },
      { count: 4, policy: "constant", fraction: 0.1 },
    ],
  },
  cache: { mode: "off" },
};

const tmp = tempDir("resume-integrity");
afterAll(() => tmp.cleanup());
/** A run interrupted after generation 2, and the same config run uninterrupted. */
let interrupted: string;
let reference: string;

beforeAll(async () => {
  interrupted = join(tmp.path, "interrupted");
  const stop = new AbortController();
  const first = await startRunFrom(CONFIG, tmp.path, {
    out: interrupted,
    signal: stop.signal,
    hooks: { onGenerationEnd: ({ generation }) => generation === 2 && stop.abort() },
  });
  expect(first.status).toBe("interrupted");
  reference = join(tmp.path, "reference");
  expect((await startRunFrom(CONFIG, tmp.path, { out: reference })).status).toBe("completed");
});

let copies = 0;
/** A fresh copy of the interrupted run, damaged by `damage`. */
function damaged(damage: (dir: string) => void): string {
  const dir = join(tmp.path, `copy-${++copies}`);
  cpSync(interrupted, dir, { recursive: true });
  damage(dir);
  return dir;
}

/** SHA-256 of every file under a directory, by path. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    listFiles(dir).map((path) => [
      path,
      createHash("sha256").update(readFileSync(path)).digest("hex"),
    ]),
  );
}

const checkpointOf = (dir: string) => readJson<Checkpoint>(join(dir, "checkpoint.json"));
const lines = (path: string) => readFileSync(path, "utf8").split("\n").filter(Boolean);
const writeLines = (path: string, rows: readonly string[]) =>
  writeFileSync(path, rows.map((line) => `${line}\n`).join(""));

/** Resumes a directory and expects the uninterrupted run's tables. */
async function expectResumedToReference(dir: string): Promise<void> {
  const out = await runCli(["resume", dir, "--quiet"]);
  expect(out.stderr).toBe("");
  expect(out.code).toBe(0);
  for (const name of ["metrics.jsonl", "agents.jsonl"])
    expect(readFileSync(join(dir, name), "utf8"), name).toBe(
      readFileSync(join(reference, name), "utf8"),
    );
}

/** Cuts the logs back to the end of generation 1 (events, metrics and agent rows). */
function logsUpToGeneration1(dir: string): void {
  const events = readJsonlStrict<AgoraEvent>(join(dir, "events.jsonl"));
  const end = events.findIndex((e) => e.type === "generation-ended" && e.t.generation === 1);
  writeLines(join(dir, "events.jsonl"), lines(join(dir, "events.jsonl")).slice(0, end + 1));
  for (const name of ["metrics.jsonl", "agents.jsonl"]) {
    const path = join(dir, name);
    writeLines(
      path,
      lines(path).filter((line) => (JSON.parse(line) as { generation: number }).generation === 1),
    );
  }
}

const patchManifest = (dir: string, patch: Partial<Manifest>) => {
  const path = join(dir, "manifest.json");
  writeFileSync(path, JSON.stringify({ ...readJson<Manifest>(path), ...patch }));
};

/** Resumes a damaged directory and expects a refusal naming `file` that leaves it untouched. */
async function expectRefused(dir: string, file: string, problem: RegExp): Promise<string> {
  const before = snapshot(dir);
  const out = await runCli(["resume", dir]);
  expect(out.code, out.stdout + out.stderr).toBe(2);
  expect(out.stderr).toContain(join(dir, file));
  expect(out.stderr).toMatch(problem);
  expect(snapshot(dir)).toEqual(before);
  return out.stderr;
}

describe("resume verifies the run directory before it writes", () => {
  it("resumes the undamaged directory to the uninterrupted run's tables", async () => {
    const dir = damaged(() => {});
    await expectResumedToReference(dir);
  });

  it("refuses a checkpoint of {}", async () => {
    const dir = damaged((d) => writeFileSync(join(d, "checkpoint.json"), "{}\n"));
    await expectRefused(dir, "checkpoint.json", /version: got nothing/);
  });

  it("refuses a torn line in the middle of events.jsonl", async () => {
    const dir = damaged((d) => {
      const path = join(d, "events.jsonl");
      const events = lines(path);
      const middle = Math.floor(checkpointOf(d).nextSeq / 2);
      events[middle] = events[middle]!.slice(0, 25);
      writeLines(path, events);
    });
    const middle = Math.floor(checkpointOf(dir).nextSeq / 2);
    await expectRefused(dir, "events.jsonl", new RegExp(`line ${middle + 1} is not JSON`));
  });

  it("refuses a gap in seq within the checkpointed events", async () => {
    const dir = damaged((d) => {
      const path = join(d, "events.jsonl");
      writeLines(
        path,
        lines(path).filter((_, i) => i !== 5),
      );
    });
    await expectRefused(dir, "events.jsonl", /line 6 has seq 6, expected 5/);
  });

  it("refuses a deleted events.jsonl", async () => {
    const dir = damaged((d) => rmSync(join(d, "events.jsonl")));
    await expectRefused(dir, "events.jsonl", /missing; the checkpoint needs seq 0 to \d+/);
  });

  it("refuses a deleted metrics.jsonl, and --repair rebuilds it from events.jsonl", async () => {
    const dir = damaged((d) => rmSync(join(d, "metrics.jsonl")));
    await expectRefused(dir, "metrics.jsonl", /missing.*--repair/);

    const repaired = await runCli(["resume", dir, "--repair", "--quiet"]);
    expect(repaired.stderr).toBe("");
    expect(repaired.code).toBe(0);
    expect(readFileSync(join(dir, "metrics.jsonl"), "utf8")).toBe(
      readFileSync(join(reference, "metrics.jsonl"), "utf8"),
    );
  });

  it("refuses agent rows that are not the ones events.jsonl records", async () => {
    const dir = damaged((d) => {
      const path = join(d, "agents.jsonl");
      const rows = lines(path);
      const row = JSON.parse(rows[1]!) as Record<string, unknown>;
      rows[1] = JSON.stringify({ ...row, score: Number(row.score) + 1 });
      writeLines(path, rows);
    });
    await expectRefused(dir, "agents.jsonl", /line 2 is not the row events\.jsonl records/);
  });

  it("refuses a checkpoint ahead of the logs (their tail lost, the checkpoint kept)", async () => {
    const dir = damaged((d) => {
      // What a power cut leaves if the logs were not on disk before the checkpoint: the logs end
      // at generation 1, the checkpoint says generation 2.
      logsUpToGeneration1(d);
    });
    expect(checkpointOf(dir).generation).toBe(2);
    await expectRefused(dir, "events.jsonl", /the checkpoint is ahead of the log/);
  });

  it("refuses a deleted checkpoint.json after completed generations instead of starting over", async () => {
    const dir = damaged((d) => rmSync(join(d, "checkpoint.json")));
    await expectRefused(
      dir,
      "checkpoint.json",
      /missing, but manifest\.json records 2 completed generation\(s\)/,
    );
  });

  it("refuses a deleted checkpoint.json when events.jsonl holds two ended generations", async () => {
    const dir = damaged((d) => {
      rmSync(join(d, "checkpoint.json"));
      patchManifest(d, { generationsCompleted: 0 });
    });
    await expectRefused(
      dir,
      "checkpoint.json",
      /missing, but events\.jsonl records 2 completed generations/,
    );
  });

  it("starts over a run killed between its first generation's events and its first checkpoint", async () => {
    // What SIGKILL leaves while the first checkpoint is written (it syncs the logs first): the
    // generation ended in the logs, no checkpoint, the manifest still at 0 generations.
    const dir = damaged((d) => {
      rmSync(join(d, "checkpoint.json"));
      patchManifest(d, { status: "running", generationsCompleted: 0 });
      logsUpToGeneration1(d);
    });
    await expectResumedToReference(dir);
  });

  it("names an unreadable checkpoint.json", async () => {
    const dir = damaged((d) => {
      const path = join(d, "checkpoint.json");
      writeFileSync(path, readFileSync(path, "utf8").slice(0, 40));
    });
    await expectRefused(dir, "checkpoint.json", /not valid JSON/);
  });

  it("names an unreadable manifest.json", async () => {
    const dir = damaged((d) => {
      const path = join(d, "manifest.json");
      writeFileSync(path, `${readFileSync(path, "utf8")}}`);
    });
    await expectRefused(dir, "manifest.json", /not valid JSON/);
  });

  it("refuses a manifest without the recorded config source", async () => {
    const dir = damaged((d) => {
      const path = join(d, "manifest.json");
      const { source: _source, ...manifest } = readJson<Manifest & { source: unknown }>(path);
      writeFileSync(path, JSON.stringify(manifest, null, 2));
    });
    await expectRefused(dir, "manifest.json", /source: got nothing/);
  });
});
