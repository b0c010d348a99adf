/**
 * `agora export transcripts` (and the LLM agents' attributes in the graph exports) on a real LLM
 * run against the local fake OpenAI server: every line parses, holds the prompt's messages and the
 * model's answer in the OpenAI chat format, and says which call it was.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseGexf } from "graphology-gexf";
import { parse as parseGraphml } from "graphology-graphml";
import { afterEach, describe, expect, it } from "vitest";
import { Graph } from "../sim/core/graph/graphology.js";
import { startFakeOpenAI, type FakeOpenAI } from "./support/fake-openai.js";
import {
  deterministicScript,
  isStrategyRequest,
  llmConfig,
  llmWorkspace,
  ofType,
  readEvents,
  readJsonlStrict,
  runCli,
  usageFor,
  writeConfig,
} from "./support/llm-helpers.js";

const ENV = { FAKE_KEY: "sk-export-test" };
const workspace = llmWorkspace("export-transcripts");
/** A small Donor Game of LLM agents: strategies, then a few donation rounds of one game. */
const SMALL = { size: 4, generations: 1 };
const ROUNDS = { donorGame: { rounds: 2, games: 1 } };
/** A strategy answer with markup to escape, a tab, newlines, non-ASCII, a control character. */
const HOSTILE =
  'Justification: "quotes" & <b>markup</b>.\nMy strategy will be to give 50% & keep <the rest>;\n\t\'single\' "double" ünïcødé 🎲, a bell \u0007 here.';

const hasNetworkx =
  spawnSync("/usr/bin/python3", ["-c", "import networkx"], { stdio: "ignore" }).status === 0;

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Line {
  messages: { role: string; content: string }[];
  metadata: Record<string, unknown>;
}

describe("agora export transcripts", () => {
  it("writes a line per LLM call: its messages, the answer as the assistant's, and the call's origin", async () => {
    const { work, configPath, fake } = await workspace.setup({ ...SMALL, extra: ROUNDS });
    const dir = join(work, "run");
    const ran = await runCli(["run", configPath, "--out", dir], ENV);
    expect(ran.code, ran.stderr).toBe(0);
    const file = join(work, "calls.jsonl");
    const exported = await runCli(["export", "transcripts", dir, "--out", file]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toBe("");

    const calls = ofType(readEvents(dir), "llm-call");
    const lines = readJsonlStrict<Line>(file);
    expect(lines).toHaveLength(calls.length);
    expect(new Set(calls.map((c) => c.purpose))).toEqual(new Set(["strategy", "donation"]));
    lines.forEach((line, i) => {
      const call = calls[i]!;
      expect(Object.keys(line).sort()).toEqual(["messages", "metadata"]);
      expect(line.messages).toEqual([
        ...call.messages!,
        { role: "assistant", content: call.response },
      ]);
      // The prompt the endpoint was sent, and what it answered.
      const sent = fake.requests.find(
        (r) => JSON.stringify(r.messages) === JSON.stringify(call.messages),
      );
      expect(sent, `request of call ${call.seq}`).toBeDefined();
      expect(line.messages.at(-1)!.content.length).toBeGreaterThan(0);
      expect(line.messages.slice(0, -1).some((m) => m.role === "user")).toBe(true);
      expect(line.metadata).toMatchObject({
        seq: call.seq,
        agentId: call.agentId,
        purpose: call.purpose,
        profile: "fake",
        model: "test-model",
        generation: call.t.generation,
        cached: call.cached,
        finishReason: call.finishReason,
        tokensIn: call.tokensIn,
      });
      if (call.t.round !== undefined) expect(line.metadata.round).toBe(call.t.round);
    });
  });

  it("strategies with newlines, markup and control characters go whole into GEXF and GraphML", async () => {
    const work = workspace.dir();
    fake = await startFakeOpenAI({
      script: deterministicScript((req) =>
        isStrategyRequest(req) ? { content: HOSTILE, usage: usageFor(req, HOSTILE) } : undefined,
      ),
    });
    const configPath = writeConfig(
      work,
      "hostile.yaml",
      llmConfig({
        baseURL: fake.baseURL,
        cacheDir: join(work, "hostile-cache"),
        ...SMALL,
        extra: ROUNDS,
      }),
    );
    const dir = join(work, "hostile");
    const ran = await runCli(["run", configPath, "--out", dir], ENV);
    expect(ran.code, ran.stderr).toBe(0);
    const rows = readJsonlStrict(join(dir, "agents.jsonl"));
    expect(rows.length).toBeGreaterThan(0);
    const strategy = HOSTILE.slice(HOSTILE.indexOf("My strategy"));
    // XML 1.0 cannot hold the bell even escaped: it becomes U+FFFD, the rest is kept as it is.
    const kept = strategy.replace("\u0007", "\uFFFD");
    for (const format of ["gexf", "graphml"] as const) {
      const file = join(work, `graph.${format}`);
      const result = await runCli(["export", format, dir, "--out", file]);
      expect(result.code, result.stderr).toBe(0);
      const text = readFileSync(file, "utf8");
      const graph = format === "gexf" ? parseGexf(Graph, text) : parseGraphml(Graph, text);
      if (hasNetworkx) {
        // expat, networkx's XML parser, is strict: it refuses what XML 1.0 forbids.
        const read = format === "gexf" ? "read_gexf" : "read_graphml";
        const script = `import json, sys, networkx as nx\nprint(json.dumps(dict(nx.${read}(sys.argv[1]).nodes(data="strategy"))))`;
        const strategies = JSON.parse(
          execFileSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8" }),
        ) as Record<string, string>;
        for (const row of rows) expect(strategies[row.agentId as string]).toBe(kept);
      }
      for (const row of rows) {
        expect(row.strategy).toBe(strategy);
        expect(graph.getNodeAttribute(row.agentId as string, "strategy")).toBe(kept);
        expect(graph.getNodeAttribute(row.agentId as string, "mindKind")).toBe("llm");
        expect(graph.getNodeAttribute(row.agentId as string, "model")).toBe("test-model");
      }
    }
  });

  it("a run recorded without transcripts: no lines, and stderr says why", async () => {
    const { work, configPath } = await workspace.setup({
      ...SMALL,
      extra: { ...ROUNDS, llm: { transcripts: false } },
    });
    const dir = join(work, "run");
    const ran = await runCli(["run", configPath, "--out", dir], ENV);
    expect(ran.code, ran.stderr).toBe(0);
    const calls = ofType(readEvents(dir), "llm-call").length;
    expect(calls).toBeGreaterThan(0);
    const file = join(work, "calls.jsonl");
    const exported = await runCli(["export", "transcripts", dir, "--out", file]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("");
    expect(exported.stderr).toContain(`${calls} of ${calls} LLM call(s) recorded no messages`);
  });
});
