/**
 * The batch tables built from the runs' own files: agents (one row per agents.jsonl row),
 * interactions (one per interaction event) and llm_calls (one per llm-call event), read back with
 * DuckDB and checked row by row against each run's agents.jsonl and events.jsonl; one type per
 * column over all runs; the same tables again from scratch; runs in progress left out.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newBatchFile, writeBatchFile } from "../sim/app/batch/batch-file.js";
import { planBatch } from "../sim/app/batch/plan.js";
import { prepareBatch, runBatch, type BatchResult } from "../sim/app/batch/runner.js";
import { PARTS_DIR } from "../sim/app/batch/run-tables.js";
import { writeTables } from "../sim/app/batch/tables.js";
import type { AgoraEvent, EventOf } from "../sim/core/events.js";
import type { Manifest } from "../sim/core/recorder.js";
import { emptyTotals } from "../sim/core/spend.js";
import { readTable } from "./support/duckdb-table.js";
import { startFakeOpenAI, type FakeOpenAI } from "./support/fake-openai.js";
import {
  deterministicScript,
  donationView,
  isReask,
  llmConfig,
  readEvents,
  readJson,
  readJsonlStrict,
  tempDir,
  writeConfig,
} from "./support/llm-helpers.js";

const tmp = tempDir("batch-run-tables");
let fake: FakeOpenAI | undefined;
afterAll(async () => {
  await fake?.close();
  tmp.cleanup();
});

/** A value as the table holds it: objects and lists as JSON text, undefined as null. */
const cell = (value: unknown) =>
  value === undefined || value === null
    ? null
    : typeof value === "object"
      ? JSON.stringify(value)
      : value;

const runDir = (result: BatchResult, id: string) => join(result.dir, "runs", id);
const ofType = <K extends AgoraEvent["type"]>(events: AgoraEvent[], type: K) =>
  events.filter((e): e is EventOf<K> => e.type === type);

describe("agents and interactions of a policy batch", () => {
  let result: BatchResult;

  beforeAll(async () => {
    const configPath = writeConfig(tmp.path, "policies.yaml", {
      scenario: "donor-game",
      generations: 2,
      population: {
        size: 6,
        minds: [
          { count: 2, policy: "constant", fraction: 0.5 },
          { count: 2, policy: "tit-for-tat" },
          { count: 2, policy: "random" },
        ],
      },
      cache: { dir: join(tmp.path, "cache") },
    });
    result = await runBatch(
      prepareBatch({
        configPath,
        seeds: "0,1",
        grid: [["donorGame.punishment", ["none", "costly"]]],
      }),
      { out: join(tmp.path, "policy"), concurrency: 2, llmConcurrency: 2 },
    );
  }, 60_000);

  it("interactions: one row per interaction event, with its time, condition and data fields", async () => {
    expect(result.status).toBe("completed");
    const table = await readTable(join(result.dir, "interactions.parquet"));
    const dataKeys = new Set<string>();
    let expected = 0;
    for (const entry of result.file.runs) {
      const events = ofType(readEvents(runDir(result, entry.id)), "interaction");
      expected += events.length;
      const rows = table.rows.filter((r) => r.run === entry.id);
      expect(rows.map((r) => r.seq)).toEqual(events.map((e) => e.seq));
      events.forEach((event, i) => {
        const row = rows[i]!;
        expect(row).toMatchObject({
          condition: entry.conditionLabel,
          seed: entry.seed,
          "donorGame.punishment": entry.condition["donorGame.punishment"],
          generation: event.t.generation,
          game: event.t.game ?? null,
          round: event.t.round ?? null,
          kind: event.kind,
          from: event.from,
          to: event.to,
          mind_kind: event.mind.kind,
          mind_name: event.mind.name,
        });
        for (const [key, value] of Object.entries(event.data)) {
          dataKeys.add(key);
          expect(row[`data_${key}`], `${entry.id} seq ${event.seq} ${key}`).toEqual(cell(value));
        }
      });
    }
    expect(table.rows).toHaveLength(expected);
    expect(table.columns.slice(0, 14)).toEqual([
      "run",
      "condition",
      "seed",
      "generation",
      "game",
      "round",
      "donorGame.punishment",
      "seq",
      "kind",
      "from",
      "to",
      "mind_kind",
      "mind_name",
      `data_${[...dataKeys][0]}`,
    ]);
    expect(table.columns.slice(13).sort()).toEqual([...dataKeys].map((k) => `data_${k}`).sort());
    expect(table.types).toMatchObject({
      seed: "BIGINT",
      generation: "BIGINT",
      game: "DOUBLE",
      seq: "BIGINT",
      data_amount: "DOUBLE",
      data_fraction: "DOUBLE",
      data_justification: "VARCHAR",
      data_fallback: "BOOLEAN",
    });
    const csv = await readTable(join(result.dir, "interactions.csv"));
    expect(csv.rows).toHaveLength(expected);
  });

  it("agents: one row per agents.jsonl row, every column", async () => {
    const table = await readTable(join(result.dir, "agents.parquet"));
    let expected = 0;
    for (const entry of result.file.runs) {
      const lines = readJsonlStrict(join(runDir(result, entry.id), "agents.jsonl"));
      expected += lines.length;
      const rows = table.rows.filter((r) => r.run === entry.id);
      expect(rows).toHaveLength(lines.length);
      lines.forEach((line, i) => {
        expect(rows[i]).toMatchObject({ condition: entry.conditionLabel, seed: entry.seed });
        for (const [key, value] of Object.entries(line))
          expect(rows[i]![key], `${entry.id} row ${i} ${key}`).toEqual(cell(value));
      });
    }
    expect(table.rows).toHaveLength(expected);
    expect(table.columns.slice(0, 5)).toEqual([
      "run",
      "condition",
      "seed",
      "generation",
      "donorGame.punishment",
    ]);
    expect(table.types).toMatchObject({ score: "DOUBLE", agentId: "VARCHAR", parents: "VARCHAR" });
    // No LLM mind: an empty llm_calls table, with its columns.
    const calls = await readTable(join(result.dir, "llm_calls.parquet"));
    expect(calls.rows).toEqual([]);
    expect(calls.columns).toContain("tokens_in");
  });

  it("are rebuilt the same from scratch, and a refresh with nothing new reads no run again", async () => {
    const names = ["agents", "interactions", "llm_calls"].flatMap((t) => [
      `${t}.csv`,
      `${t}.parquet`,
    ]);
    const before = names.map((name) => readFileSync(join(result.dir, name)));
    const parts = join(result.dir, PARTS_DIR);
    const first = `${result.file.runs[0]!.id}.interactions.jsonl`;
    const written = statSync(join(parts, first)).mtimeMs;
    await writeTables(result.dir);
    expect(statSync(join(parts, first)).mtimeMs).toBe(written);

    rmSync(parts, { recursive: true });
    for (const name of names) rmSync(join(result.dir, name));
    const counts = await writeTables(result.dir);
    expect(names.map((name) => readFileSync(join(result.dir, name)))).toEqual(before);
    expect(counts.interactions).toBe(
      (await readTable(join(result.dir, "interactions.csv"))).rows.length,
    );
  });
});

describe("llm_calls of an LLM batch", () => {
  it("has one row per llm-call event with its agent, model, tokens, cost, latency, finish reason, cache hit, attempts, re-ask and seed", async () => {
    // Each agent's first donation answer of a game is unreadable: it is asked again (reask 1).
    fake = await startFakeOpenAI({
      script: deterministicScript((req, seen) =>
        donationView(req)?.round === 1 && !isReask(req) && seen === 1
          ? { content: "I would rather not say." }
          : undefined,
      ),
    });
    const config = llmConfig({
      baseURL: fake.baseURL,
      cacheDir: join(tmp.path, "llm-cache"),
      size: 4,
      generations: 1,
    });
    (config.profiles as { fake: Record<string, unknown> }).fake.seed = 7;
    const configPath = writeConfig(tmp.path, "llm.yaml", config);
    const result = await runBatch(
      prepareBatch({ configPath, seeds: "0", grid: [["donorGame.rounds", [1, 2]]] }),
      { out: join(tmp.path, "llm"), concurrency: 2, llmConcurrency: 8, env: { FAKE_KEY: "k" } },
    );
    expect(result.status).toBe("completed");

    const table = await readTable(join(result.dir, "llm_calls.parquet"));
    let expected = 0;
    let reasks = 0;
    for (const entry of result.file.runs) {
      const dir = runDir(result, entry.id);
      const calls = ofType(readEvents(dir), "llm-call");
      expected += calls.length;
      const rows = table.rows.filter((r) => r.run === entry.id);
      expect(rows.map((r) => r.seq)).toEqual(calls.map((c) => c.seq));
      calls.forEach((call, i) => {
        expect(rows[i]).toEqual({
          run: entry.id,
          condition: entry.conditionLabel,
          seed: entry.seed,
          generation: call.t.generation,
          game: call.t.game ?? null,
          round: call.t.round ?? null,
          "donorGame.rounds": Number(entry.condition["donorGame.rounds"]),
          seq: call.seq,
          agent: call.agentId,
          purpose: call.purpose,
          profile: call.profile,
          model: call.model,
          tokens_in: call.tokensIn,
          tokens_out: call.tokensOut,
          cost: call.cost,
          latency_ms: call.latencyMs,
          finish_reason: call.finishReason,
          cached: call.cached,
          attempts: call.attempts,
          reask: call.reask ?? null,
          call_seed: call.seed ?? null,
          failure: call.failure?.kind ?? null,
          trimmed: call.trimmed ?? null,
          prompt_hash: call.promptHash,
        });
        if (call.reask) reasks++;
      });
      const totals = readJson<Manifest>(join(dir, "manifest.json")).totals;
      expect(rows.reduce((n, r) => n + (r.tokens_in as number), 0)).toBe(totals.tokensIn);
    }
    expect(table.rows).toHaveLength(expected);
    expect(expected).toBeGreaterThan(0);
    expect(reasks).toBeGreaterThan(0);
    expect(table.rows.every((r) => r.call_seed !== null)).toBe(true);
    // The prompts and answers stay out of the table (they are in the transcripts export).
    expect(table.columns.some((c) => /messages|response/.test(c))).toBe(false);
  }, 60_000);
});

describe("handmade runs", () => {
  const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join("");

  /** A batch directory of donor-game runs with these seeds; its run specs. */
  const handmadeBatch = (dir: string, seeds: number[]) => {
    const specs = planBatch({
      raw: { scenario: "donor-game" },
      configDir: tmp.path,
      grid: [],
      seeds,
    });
    writeBatchFile(
      dir,
      newBatchFile({
        batchId: "handmade",
        config: "x.yaml",
        grid: [],
        seeds,
        specs,
        caps: {},
        totals: emptyTotals(),
      }),
    );
    return specs;
  };

  /** A run directory with its manifest; the caller writes its logs. */
  const runWithManifest = (dir: string, id: string, status: string) => {
    const run = join(dir, "runs", id);
    mkdirSync(run, { recursive: true });
    writeFileSync(
      join(run, "manifest.json"),
      JSON.stringify({
        status,
        generationsCompleted: 1,
        totals: emptyTotals(),
        startedAt: "2026-01-01T00:00:00.000Z",
        endedAt: null,
      }),
    );
    return run;
  };

  it("a column integral in one run and fractional in another is DOUBLE in every table; runs in progress are left out", async () => {
    const dir = join(tmp.path, "handmade");
    const specs = handmadeBatch(dir, [0, 1, 2]);
    const write = (id: string, status: string, value: number, flag: unknown) => {
      const run = runWithManifest(dir, id, status);
      // Metrics whose names are fixed columns of the runs table: typed by their values here.
      writeFileSync(
        join(run, "metrics.jsonl"),
        jsonl([{ generation: 1, tokens_in: value, generations: value, status: value }]),
      );
      writeFileSync(
        join(run, "agents.jsonl"),
        jsonl([{ generation: 1, agentId: "x", score: value, flag }]),
      );
      writeFileSync(
        join(run, "events.jsonl"),
        jsonl([
          { v: 2, seq: 0, type: "run-started", t: { generation: 0 }, time: [{ key: "game" }] },
          {
            v: 2,
            seq: 1,
            type: "interaction",
            t: { generation: 1 },
            kind: "gift",
            from: "x",
            to: null,
            mind: { kind: "policy", name: "p" },
            data: { amount: value, flag, nested: { a: [value] } },
          },
        ]),
      );
    };
    write(specs[0]!.id, "completed", 3, true);
    write(specs[1]!.id, "failed", 2.5, 1);
    write(specs[2]!.id, "running", 7, "text");

    expect(await writeTables(dir)).toEqual({
      runs: 3,
      metrics: 3,
      agents: 2,
      interactions: 2,
      llm_calls: 0,
    });
    const metrics = await readTable(join(dir, "metrics.parquet"));
    expect(metrics.types).toMatchObject({
      tokens_in: "DOUBLE",
      generations: "DOUBLE",
      status: "DOUBLE",
    });
    expect(metrics.rows.map((r) => r.tokens_in)).toEqual([3, 2.5, 7]);
    const runs = await readTable(join(dir, "runs.parquet"));
    expect(runs.types).toMatchObject({
      final_tokens_in: "DOUBLE",
      final_generations: "DOUBLE",
      final_status: "DOUBLE",
    });
    expect(runs.rows.map((r) => r.final_generations)).toEqual([3, 2.5, 7]);

    // The running run (its "text" flag) is not in the tables built from the runs' own files.
    const agents = await readTable(join(dir, "agents.parquet"));
    expect(agents.types).toMatchObject({ score: "DOUBLE", flag: "DOUBLE" });
    expect(agents.rows.map((r) => [r.run, r.score, r.flag])).toEqual([
      [specs[0]!.id, 3, 1],
      [specs[1]!.id, 2.5, 1],
    ]);
    const interactions = await readTable(join(dir, "interactions.parquet"));
    expect(interactions.columns).toEqual([
      "run",
      "condition",
      "seed",
      "generation",
      "game", // declared by run-started, though no event has it
      "seq",
      "kind",
      "from",
      "to",
      "mind_kind",
      "mind_name",
      "data_amount",
      "data_flag",
      "data_nested",
    ]);
    expect(interactions.types).toMatchObject({
      game: "DOUBLE",
      data_amount: "DOUBLE",
      data_flag: "DOUBLE",
      data_nested: "VARCHAR",
    });
    expect(interactions.rows.map((r) => [r.data_amount, r.data_flag, r.data_nested])).toEqual([
      [3, 1, '{"a":[3]}'],
      [2.5, 1, '{"a":[2.5]}'],
    ]);
  });
  it("text reaches the tables exactly as the events hold it: empty is not null, and no character is special", async () => {
    const dir = join(tmp.path, "handmade-text");
    const [spec] = handmadeBatch(dir, [0]);
    const texts = [
      "",
      "null",
      "NULL",
      'a "quoted", comma\tand tab',
      "line one\nline two\r\nthree",
      "back\\slash \\n not a newline",
      "émigré, 中文, 😀",
      '{"looks": ["like", "json"]}',
      "x".repeat(200_000),
    ];
    const run = runWithManifest(dir, spec!.id, "completed");
    writeFileSync(join(run, "agents.jsonl"), jsonl([{ generation: 1, agentId: "a", note: "" }]));
    writeFileSync(
      join(run, "events.jsonl"),
      jsonl([
        { v: 2, seq: 0, type: "run-started", t: { generation: 0 } },
        ...texts.map((text, i) => ({
          v: 2,
          seq: i + 1,
          type: "interaction",
          t: { generation: 1 },
          kind: "say",
          from: "a",
          to: null,
          data: { text, 'odd "key": with.dots': i === 0 ? null : text.length },
        })),
      ]),
    );
    await writeTables(dir);
    const interactions = await readTable(join(dir, "interactions.parquet"));
    expect(interactions.rows.map((r) => r.data_text)).toEqual(texts);
    expect(interactions.rows.map((r) => r.to)).toEqual(texts.map(() => null));
    expect(interactions.rows.map((r) => r['data_odd "key": with.dots'])).toEqual(
      texts.map((t, i) => (i === 0 ? null : t.length)),
    );
    // CSV readers take a quoted empty field for a null, so only the rest is compared there.
    const csv = await readTable(join(dir, "interactions.csv"));
    expect(csv.rows.slice(1).map((r) => r.data_text)).toEqual(texts.slice(1));
    const agents = await readTable(join(dir, "agents.parquet"));
    expect(agents.rows.map((r) => r.note)).toEqual([""]);
  });
  it("a damaged part is refused with the file and the way out, and the tables already written stay", async () => {
    const dir = join(tmp.path, "handmade-damaged");
    const [spec] = handmadeBatch(dir, [0]);
    const run = runWithManifest(dir, spec!.id, "completed");
    writeFileSync(join(run, "agents.jsonl"), jsonl([{ generation: 1, agentId: "a" }]));
    writeFileSync(
      join(run, "events.jsonl"),
      jsonl([
        { v: 2, seq: 0, type: "run-started", t: { generation: 0 } },
        {
          v: 2,
          seq: 1,
          type: "interaction",
          t: { generation: 1 },
          kind: "say",
          from: "a",
          to: null,
        },
      ]),
    );
    await writeTables(dir);
    const before = readFileSync(join(dir, "interactions.parquet"));
    const part = join(dir, PARTS_DIR, `${spec!.id}.interactions.jsonl`);
    writeFileSync(part, '{"generation": "1", "seq": \n');
    await expect(writeTables(dir)).rejects.toThrow(
      new RegExp(
        `interactions table: .*${part.replaceAll(".", "\\.")}.*delete it to extract them again`,
      ),
    );
    expect(readFileSync(join(dir, "interactions.parquet"))).toEqual(before);
    rmSync(join(dir, PARTS_DIR), { recursive: true });
    expect((await writeTables(dir)).interactions).toBe(1);
  });
});
