/**
 * The CLI as a script sees it (docs/cli.md, "Output"): stdout carries only the result (lines, or
 * one JSON document with --json, also when the command fails), progress and status go to stderr
 * (none with --quiet), a terminal's in-place redraw honours NO_COLOR, and usage errors exit 2 in
 * every command.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../sim/core/recorder.js";
import {
  AGORA_BIN,
  readJson,
  readJsonlStrict,
  ROOT,
  runCli,
  tempDir,
  writeConfig,
  type CliResult,
} from "./support/llm-helpers.js";

const tmp = tempDir("cli-scripting");
afterAll(tmp.cleanup);

/** A small offline Donor Game: 6 policy agents, 2 generations. */
const SMALL = {
  scenario: "donor-game",
  seed: 4,
  generations: 2,
  population: {
    size: 6,
    minds: [
      { count: 3, policy: "tit-for-tat" },
      { count: 3, policy: "constant", fraction: 0.4 },
    ],
  },
};

let config: string;
beforeAll(() => {
  config = writeConfig(tmp.path, "small.yaml", { ...SMALL, cache: { dir: join(tmp.path, "c") } });
});

/** stdout parsed as one JSON document: fails if anything else is on it. */
function jsonOf(result: CliResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(
      `stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

const SUMMARY =
  /^completed: 2 generation\(s\), 0 LLM call\(s\), cache 0 hit\(s\) \/ 0 miss\(es\)\n/;

describe("agora run and resume", () => {
  it("--json: stdout is the run's document and nothing else; progress goes to stderr", async () => {
    const dir = join(tmp.path, "run-json");
    const result = await runCli(["run", config, "--out", dir, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = jsonOf(result);
    const manifest = readJson<Manifest>(join(dir, "manifest.json"));
    const rows = readJsonlStrict(join(dir, "metrics.jsonl"));
    expect(doc).toMatchObject({
      runDir: dir,
      runId: "run-json",
      scenario: "donor-game",
      seed: 4,
      configHash: manifest.configHash,
      status: "completed",
      exitCode: 0,
      error: null,
      generations: 2,
      generationsCompleted: 2,
      cache: { mode: "read-write", hits: 0, misses: 0 },
    });
    expect(doc.metrics).toEqual(rows.at(-1));
    expect(doc.llm).toEqual({ ...manifest.totals, cost: 0 });
    // The Donor Game's unusable counts and the engine's, summed over the generations.
    const unusable = doc.unusable as Record<string, number>;
    expect(Object.keys(unusable)).toEqual(
      expect.arrayContaining(["parseFailures", "llmTruncated"]),
    );
    expect(unusable.parseFailures).toBe(rows.reduce((n, r) => n + (r.parseFailures as number), 0));
    expect(result.stderr).toContain(`run directory: ${dir}\n`);
    expect(result.stderr).toMatch(/^generation 1\/2 done: /m);
    expect(result.stderr).toMatch(/^generation 2\/2 done: /m);

    // `resume` of the completed run prints the same document.
    const resumed = await runCli(["resume", dir, "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonOf(resumed)).toEqual(doc);
  });

  it("without --json: the summary on stdout, progress on stderr; --quiet leaves stderr empty", async () => {
    const dir = join(tmp.path, "run-lines");
    const loud = await runCli(["run", config, "--out", dir]);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stdout).toMatch(SUMMARY);
    expect(loud.stdout.endsWith(`\nrun directory: ${dir}\n`)).toBe(true);
    expect(loud.stdout).not.toContain("generation 1/2 done");
    expect(loud.stderr).toMatch(/^generation 1\/2 done: /m);

    const quiet = await runCli(["run", config, "--out", dir, "--quiet"]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe(loud.stdout);
  });

  it("--json on a failed run: its document with status failed and exit code 1", async () => {
    const llm = writeConfig(tmp.path, "no-key.yaml", {
      ...SMALL,
      profiles: {
        fake: {
          model: "m",
          baseURL: "http://127.0.0.1:9/v1",
          apiKeyEnv: "AGORA_CLI_SCRIPTING_NO_SUCH_KEY",
        },
      },
      population: { size: 4, minds: [{ count: 4, profile: "fake" }] },
      cache: { dir: join(tmp.path, "c") },
    });
    const result = await runCli(["run", llm, "--out", join(tmp.path, "failed"), "--json"]);
    expect(result.code).toBe(1);
    const doc = jsonOf(result);
    expect(doc).toMatchObject({ status: "failed", exitCode: 1, generationsCompleted: 0 });
    expect(doc.error).toContain("AGORA_CLI_SCRIPTING_NO_SUCH_KEY");
  });

  it("--serve --json: the viewer URL on stderr, only the document on stdout", async () => {
    const dir = join(tmp.path, "served", "run");
    const args = ["run", config, "--out", dir, "--serve", "--port", "0", "--exit-when-done"];
    const result = await runCli([...args, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(jsonOf(result)).toMatchObject({ runDir: dir, status: "completed" });
    expect(result.stderr).toMatch(/^viewer: http:\/\/127\.0\.0\.1:\d+\/$/m);
  });
});

describe("agora validate", () => {
  it("--json: the resolved config and its hash; an invalid config as valid: false, exit 2", async () => {
    const ok = await runCli(["validate", config, "--json"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toBe("");
    const doc = jsonOf(ok);
    expect(doc).toMatchObject({
      valid: true,
      config,
      scenario: "donor-game",
      agents: 6,
      generations: 2,
      seed: 4,
      resolved: { generations: 2, population: { size: 6 } },
    });
    expect(doc.configHash).toMatch(/^[0-9a-f]{64}$/);

    const bad = writeConfig(tmp.path, "bad.yaml", { ...SMALL, generations: "many" });
    const invalid = await runCli(["validate", bad, "--json"]);
    expect(invalid.code).toBe(2);
    const error = jsonOf(invalid);
    expect(error).toMatchObject({ valid: false, config: bad, exitCode: 2 });
    expect((error.errors as string[])[0]).toMatch(/^generations: got "many"/);
    expect(invalid.stderr).toMatch(/^config error: generations: got "many"/);
  });
});

describe("agora batch and report", () => {
  const out = join(tmp.path, "batch");

  it("batch --json: per-run statuses and directories, counts, tables; progress on stderr", async () => {
    const result = await runCli(["batch", config, "--seeds", "0..1", "--out", out, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = jsonOf(result);
    expect(doc).toMatchObject({
      batchDir: out,
      status: "completed",
      exitCode: 0,
      counts: { completed: 2, failed: 0 },
      budget: { exhausted: false },
    });
    const runs = doc.runs as { id: string; seed: number; status: string; runDir: string }[];
    expect(runs.map((r) => [r.seed, r.status])).toEqual([
      [0, "completed"],
      [1, "completed"],
    ]);
    for (const run of runs) {
      expect(run.runDir).toBe(join(out, "runs", run.id));
      expect(existsSync(join(run.runDir, "manifest.json"))).toBe(true);
    }
    expect(doc.tables).toEqual(
      expect.arrayContaining([join(out, "runs.csv"), join(out, "metrics.parquet")]),
    );
    expect(result.stderr).toContain(`batch directory: ${out}\n`);
    expect(result.stderr).toMatch(/^start \S+__s0$/m);

    const tables = await runCli(["batch", config, "--out", out, "--tables-only", "--json"]);
    expect(tables.code, tables.stderr).toBe(0);
    expect(jsonOf(tables)).toMatchObject({ batchDir: out, rows: { runs: 2, metrics: 4 } });
  });

  it("report --json: the files written and what was counted", async () => {
    const result = await runCli(["report", out, "--metric", "avgFinalResources", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = jsonOf(result);
    expect(doc).toMatchObject({
      batchDir: out,
      report: join(out, "report", "report.html"),
      metrics: ["avgFinalResources"],
      conditions: ["baseline"],
      runsCounted: 2,
      runsLeftOut: 0,
    });
    for (const file of doc.files as string[]) expect(existsSync(file), file).toBe(true);
    expect(readFileSync(doc.report as string, "utf8")).toContain("avgFinalResources");
  });

  it("a --metric or --reference the tables lack, or a directory that is no batch, exits 2", async () => {
    const [metric, reference, notBatch] = await Promise.all([
      runCli(["report", out, "--metric", "nope"]),
      runCli(["report", out, "--reference", "nope", "--json"]),
      runCli(["report", tmp.path]),
    ]);
    expect(metric.code).toBe(2);
    expect(metric.stderr).toContain('--metric: got "nope"');
    expect(reference.code).toBe(2);
    expect(jsonOf(reference)).toEqual({
      error: expect.stringContaining('--reference: got "nope"'),
      exitCode: 2,
    });
    expect(notBatch.code).toBe(2);
    expect(notBatch.stderr).toContain(`${tmp.path} is not a batch directory (no batch.json`);
  });
});

describe("usage errors exit 2 in every command", () => {
  it("an unknown option or a missing argument: exit 2, and with --json one JSON document", async () => {
    const cases = [
      ["run", config, "--bogus"],
      ["run"],
      ["resume", "--bogus"],
      ["validate"],
      ["batch", config, "--bogus"],
      ["report"],
      ["report", tmp.path, "--bogus"],
      ["serve", "--bogus"],
      ["worker"],
      ["import", "llm-culture", "x.json"],
      ["export", "llm-culture", tmp.path, "--bogus"],
    ];
    const results = await Promise.all(cases.map((args) => runCli([...args, "--json"])));
    for (const [i, result] of results.entries()) {
      const args = cases[i]!.join(" ");
      expect(result.code, args).toBe(2);
      expect(result.stderr, args).toMatch(/^error: (unknown option|missing required|required)/);
      expect(jsonOf(result), args).toEqual({ error: expect.any(String), exitCode: 2 });
    }
  });

  it("help is no error: `help COMMAND` and `--help` exit 0 with the usage on stdout", async () => {
    const [help, flag, none] = await Promise.all([
      runCli(["help", "validate"]),
      runCli(["validate", "--help"]),
      runCli([]),
    ]);
    for (const result of [help, flag]) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Usage: agora validate \[options\] <config>/);
    }
    // No command at all: the usage on stderr, exit 2.
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^Usage: agora /);
  });

  it("--seed must be a non-negative integer", async () => {
    const dir = join(tmp.path, "never");
    const results = await Promise.all(
      ["-1", "1.5", "x"].map((seed) => runCli(["run", config, "--seed", seed, "--out", dir])),
    );
    for (const [i, seed] of ["-1", "1.5", "x"].entries()) {
      expect(results[i]!.code, seed).toBe(2);
      expect(results[i]!.stderr).toContain(
        `--seed: got "${seed}", expected a non-negative integer`,
      );
    }
    expect(existsSync(dir)).toBe(false);
  });

  it("a --port in use: exit 2 naming the port, for serve, run --serve and batch --serve", async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = String((taken.address() as { port: number }).port);
    try {
      const results = await Promise.all([
        runCli(["serve", "--runs", tmp.path, "--port", port]),
        runCli(["run", config, "--out", join(tmp.path, "p"), "--serve", "--port", port]),
        runCli(["batch", config, "--out", join(tmp.path, "pb"), "--serve", "--port", port]),
      ]);
      for (const result of results) {
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
        expect(result.stdout).toBe("");
      }
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("export llm-culture of a run that is not a transmission run, or of no run: exit 2", async () => {
    const donor = join(tmp.path, "donor");
    expect((await runCli(["run", config, "--out", donor])).code).toBe(0);
    const target = join(tmp.path, "x.json");
    const [other, none, resume] = await Promise.all([
      runCli(["export", "llm-culture", donor, "--out", target]),
      runCli(["export", "llm-culture", join(tmp.path, "nothing"), "--out", target]),
      runCli(["resume", join(tmp.path, "nothing")]),
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(
      `${donor} is a donor-game run; export llm-culture takes a transmission run`,
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`${join(tmp.path, "nothing")} is not a run directory`);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain(`${join(tmp.path, "nothing", "manifest.json")}: missing`);
    expect(existsSync(target)).toBe(false);
  });
});

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), stdout and stderr both on it: its
 * output as the terminal received it.
 */
function inTerminal(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const command = [process.execPath, AGORA_BIN, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], {
    cwd: ROOT,
    env: { ...process.env, TERM: "xterm", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`exit ${code}:\n${out}`)),
    );
  });
}

describe("progress on a terminal", () => {
  it("redraws in place with ANSI codes, and prints plain lines without any when NO_COLOR is set", async () => {
    const run = ["run", config, "--out", join(tmp.path, "tty")];
    const batch = ["batch", config, "--seeds", "0..1", "--out", join(tmp.path, "tty-batch")];
    const [runTty, runPlain, batchTty, batchPlain] = await Promise.all([
      inTerminal(run, { NO_COLOR: "" }),
      inTerminal([...run.slice(0, -1), join(tmp.path, "tty-plain")], { NO_COLOR: "1" }),
      inTerminal(batch, { NO_COLOR: "" }),
      inTerminal([...batch.slice(0, -1), join(tmp.path, "tty-batch-plain")], { NO_COLOR: "1" }),
    ]);
    expect(runTty).toContain("\x1b[2K");
    expect(batchTty).toContain("\x1b[J");
    for (const plain of [runPlain, batchPlain]) expect(plain).not.toContain("\x1b");
    expect(runPlain).toMatch(/^generation 2\/2 done: /m);
    expect(runPlain).toMatch(/^completed: 2 generation\(s\)/m);
    expect(batchPlain).toMatch(/^start \S+__s1\r?$/m);
    expect(batchPlain).toMatch(/^batch completed: 2 completed/m);
  });
});
