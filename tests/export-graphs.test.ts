/**
 * `agora export gexf|graphml|node-link|lineage|lineage-csv` on real runs of the shipped offline
 * configs (a Donor Game, whose donations are edges, and a public-goods game, whose contributions
 * have no recipient), read back by readers other than the writers: graphology-gexf's and
 * graphology-graphml's parsers, a node-link shape check and, where the machine has it, networkx.
 * Every expected number is computed here from events.jsonl and agents.jsonl.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse as parseGexf } from "graphology-gexf";
import { parse as parseGraphml } from "graphology-graphml";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serializedGraph } from "../sim/core/graph/compact.js";
import { Graph } from "../sim/core/graph/graphology.js";
import {
  ofType,
  readEvents,
  readJsonlStrict,
  runCli,
  ROOT,
  tempDir,
  writeConfig,
} from "./support/llm-helpers.js";

const tmp = tempDir("export-graphs");
afterAll(() => tmp.cleanup());

/** A shipped offline config with a few overrides, written to the temp dir. */
function shipped(path: string, name: string, overrides: Record<string, unknown>): string {
  const config = parseYaml(readFileSync(join(ROOT, path), "utf8")) as Record<string, unknown>;
  return writeConfig(tmp.path, name, { ...config, ...overrides });
}

async function run(config: string, out: string): Promise<string> {
  const result = await runCli(["run", config, "--out", out]);
  expect(result.code, result.stderr).toBe(0);
  return out;
}

async function exportOk(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await runCli(["export", ...args]);
  expect(result.code, result.stderr).toBe(0);
  return result;
}

/** What the exports must say, from the run's own files. */
function expected(dir: string) {
  const events = readEvents(dir);
  const agents = ofType(events, "agent-created").map((e) => e.agent);
  const edges = new Map<
    string,
    { weight: number; kinds: Record<string, number>; sums: Record<string, number> }
  >();
  const untargeted = new Map<string, Record<string, number>>();
  for (const e of ofType(events, "interaction")) {
    if (e.to === null) {
      const counts = untargeted.get(e.from) ?? {};
      counts[e.kind] = (counts[e.kind] ?? 0) + 1;
      untargeted.set(e.from, counts);
      continue;
    }
    const key = `${e.from} ${e.to}`;
    const edge = edges.get(key) ?? { weight: 0, kinds: {}, sums: {} };
    edge.weight++;
    edge.kinds[e.kind] = (edge.kinds[e.kind] ?? 0) + 1;
    if (typeof e.data.amount === "number")
      edge.sums[e.kind] = (edge.sums[e.kind] ?? 0) + e.data.amount;
    edges.set(key, edge);
  }
  const lastRow = new Map<string, Record<string, unknown>>();
  for (const row of readJsonlStrict(join(dir, "agents.jsonl")))
    lastRow.set(row.agentId as string, row);
  const started = ofType(events, "run-started")[0]!;
  return { events, agents, edges, untargeted, lastRow, started };
}

type Expected = ReturnType<typeof expected>;

/** A parsed graph against the run: its nodes, edge weights, per-kind counts, sums, attributes. */
function checkInteractionGraph(graph: InstanceType<typeof Graph>, want: Expected): void {
  expect(graph.type).toBe("directed");
  expect(graph.nodes().sort()).toEqual(want.agents.map((a) => a.id).sort());
  expect(graph.size).toBe(want.edges.size);
  graph.forEachEdge((_edge, attributes, source, target) => {
    const edge = want.edges.get(`${source} ${target}`);
    expect(edge, `${source} -> ${target}`).toBeDefined();
    expect(attributes.weight).toBe(edge!.weight);
    for (const [kind, n] of Object.entries(edge!.kinds)) {
      expect(attributes[`${kind}_count`]).toBe(n);
      if (edge!.sums[kind] !== undefined)
        expect(attributes[`${kind}_amount_sum`]).toBeCloseTo(edge!.sums[kind]!, 9);
    }
  });
  for (const agent of want.agents) {
    const attributes = graph.getNodeAttributes(agent.id);
    const row = want.lastRow.get(agent.id);
    expect(attributes.generation).toBe(agent.generation);
    expect(attributes.mindKind).toBe(agent.mind.kind);
    expect(attributes.mind).toBe(agent.mind.name);
    if (agent.parents.length > 0) expect(attributes.parents).toBe(agent.parents.join(";"));
    if (row) {
      expect(attributes.score).toBeCloseTo(row.score as number, 9);
      expect(attributes.lastGeneration).toBe(row.generation);
    }
    // The strategy whole (the last row's, which a revision may have changed).
    const strategy = (row?.strategy ?? agent.strategy) as string | null | undefined;
    if (strategy) expect(attributes.strategy).toBe(strategy);
    for (const [kind, n] of Object.entries(want.untargeted.get(agent.id) ?? {}))
      expect(attributes[`untargeted_${kind}_count`]).toBe(n);
  }
}

interface NodeLinkFile {
  directed: boolean;
  multigraph: boolean;
  graph: Record<string, unknown>;
  nodes: Record<string, unknown>[];
  links: Record<string, unknown>[];
}

/** networkx's node-link keys, unique node ids, every link between two of them. */
function checkNodeLinkShape(data: NodeLinkFile): Set<string> {
  expect(Object.keys(data).sort()).toEqual(["directed", "graph", "links", "multigraph", "nodes"]);
  expect(data.multigraph).toBe(false);
  const ids = data.nodes.map((n) => n.id as string);
  expect(ids.every((id) => typeof id === "string")).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  for (const link of data.links) {
    expect(ids).toContain(link.source);
    expect(ids).toContain(link.target);
  }
  return new Set(ids);
}

const hasNetworkx =
  spawnSync("/usr/bin/python3", ["-c", "import networkx"], { stdio: "ignore" }).status === 0;

/** Loads the files with networkx and reports what it built. */
function networkx(files: { gexf: string; graphml: string; nodeLink: string }) {
  const script = `
import json, sys, networkx as nx
def describe(g):
    return {"type": type(g).__name__, "nodes": sorted(g.nodes()),
            "edges": {f"{u} {v}": d.get("weight") for u, v, d in g.edges(data=True)},
            "score": {n: d.get("score") for n, d in g.nodes(data=True)}}
with open(sys.argv[3]) as f:
    data = json.load(f)
try:
    node_link = nx.node_link_graph(data, edges="links")  # networkx >= 3.4
except TypeError:
    node_link = nx.node_link_graph(data)  # before 3.4, "links" was the only key
print(json.dumps({"gexf": describe(nx.read_gexf(sys.argv[1])),
                  "graphml": describe(nx.read_graphml(sys.argv[2])),
                  "nodeLink": describe(node_link)}))
`;
  return JSON.parse(
    execFileSync("/usr/bin/python3", ["-c", script, files.gexf, files.graphml, files.nodeLink], {
      encoding: "utf8",
    }),
  ) as Record<
    "gexf" | "graphml" | "nodeLink",
    {
      type: string;
      nodes: string[];
      edges: Record<string, number>;
      score: Record<string, number | null>;
    }
  >;
}

/** Every file of a directory with its size and modification time. */
const snapshot = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((name) => {
      const s = statSync(join(dir, name));
      return `${name} ${s.size} ${s.mtimeMs}`;
    });

describe("agora export of a Donor Game run", () => {
  let dir: string;
  let out: string;
  let want: Expected;
  let before: string[];

  beforeAll(async () => {
    const demo = parseYaml(
      readFileSync(join(ROOT, "scenarios/donor-game/offline-demo.yaml"), "utf8"),
    ) as { population: { size: number; minds: Record<string, unknown>[] } };
    // Image scorers that punish defectors: a second interaction kind between agents.
    const minds = demo.population.minds.map((m) =>
      m.policy === "image-scoring" ? { ...m, punish: 0.3 } : m,
    );
    dir = await run(
      shipped("scenarios/donor-game/offline-demo.yaml", "donor.yaml", {
        generations: 3,
        population: { ...demo.population, minds },
        donorGame: {
          schedule: "code",
          selection: "mean-both-games",
          rounds: 4,
          punishment: "costly",
        },
      }),
      join(tmp.path, "donor-run"),
    );
    out = join(tmp.path, "donor-out");
    want = expected(dir);
    before = snapshot(dir);
    for (const format of ["gexf", "graphml", "node-link", "lineage", "lineage-csv"])
      await exportOk([format, dir, "--out", `${out}/`]);
  });

  it("writes one file per format, named after the run, and nothing into the run directory", () => {
    const runId = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).runId as string;
    expect(readdirSync(out).sort()).toEqual(
      ["gexf", "graphml", "lineage.csv", "lineage.json", "node-link.json"].map(
        (ext) => `${runId}.${ext}`,
      ),
    );
    expect(snapshot(dir)).toEqual(before);
    // The run has several kinds of interaction between agents, so the per-kind columns are tested.
    const kinds = new Set([...want.edges.values()].flatMap((e) => Object.keys(e.kinds)));
    expect(kinds.size).toBeGreaterThan(1);
  });

  it("GEXF: graphology's parser reads the agents, the weighted edges and their attributes", () => {
    const file = readdirSync(out).find((f) => f.endsWith(".gexf"))!;
    const graph = parseGexf(Graph, readFileSync(join(out, file), "utf8"));
    checkInteractionGraph(graph, want);
  });

  it("GraphML: graphology-graphml's parser reads the same graph, with typed values", () => {
    const file = readdirSync(out).find((f) => f.endsWith(".graphml"))!;
    const text = readFileSync(join(out, file), "utf8");
    const graph = parseGraphml(Graph, text);
    checkInteractionGraph(graph, want);
    // The graph's own attributes name the run.
    expect(graph.getAttribute("scenario")).toBe("donor-game");
    expect(graph.getAttribute("seed")).toBe(want.started.seed);
  });

  it("node-link: networkx's keys, every link between known nodes, weights from the events", () => {
    const file = readdirSync(out).find((f) => f.endsWith(".node-link.json"))!;
    const data = JSON.parse(readFileSync(join(out, file), "utf8")) as NodeLinkFile;
    const ids = checkNodeLinkShape(data);
    expect(data.directed).toBe(true);
    expect([...ids].sort()).toEqual(want.agents.map((a) => a.id).sort());
    expect(data.links).toHaveLength(want.edges.size);
    for (const link of data.links)
      expect(link.weight).toBe(
        want.edges.get(`${String(link.source)} ${String(link.target)}`)!.weight,
      );
  });

  it("lineage: a parent -> child arc per parent, roots in the first generation; CSV alike", () => {
    const json = readdirSync(out).find((f) => f.endsWith(".lineage.json"))!;
    const data = JSON.parse(readFileSync(join(out, json), "utf8")) as NodeLinkFile;
    checkNodeLinkShape(data);
    const arcs = want.agents.flatMap((a) => a.parents.map((p) => `${p} ${a.id}`)).sort();
    expect(arcs.length).toBeGreaterThan(0);
    expect(data.links.map((l) => `${String(l.source)} ${String(l.target)}`).sort()).toEqual(arcs);
    for (const node of data.nodes) {
      const agent = want.agents.find((a) => a.id === node.id)!;
      expect(node.generation).toBe(agent.generation);
    }

    const csv = readdirSync(out).find((f) => f.endsWith(".lineage.csv"))!;
    const [header, ...rows] = readFileSync(join(out, csv), "utf8").trimEnd().split("\n");
    expect(header).toBe("id,generation,parent");
    const parsed = rows.map((r) => r.split(","));
    expect(
      parsed
        .filter(([, , parent]) => parent !== "")
        .map(([id, , parent]) => `${parent} ${id}`)
        .sort(),
    ).toEqual(arcs);
    const roots = parsed.filter(([, , parent]) => parent === "");
    expect(roots.length).toBe(want.agents.filter((a) => a.parents.length === 0).length);
    expect(roots.every(([, generation]) => generation === "1")).toBe(true);
  });

  it("--graph social: the recorded social graph, undirected, not graphology's serialisation", async () => {
    const file = join(tmp.path, "social.json");
    await exportOk(["node-link", dir, "--graph", "social", "--out", file]);
    const data = JSON.parse(readFileSync(file, "utf8")) as NodeLinkFile;
    checkNodeLinkShape(data);
    const recorded = serializedGraph(want.started.graph);
    expect(data.directed).toBe(false);
    expect(data.nodes.map((n) => n.id).sort()).toEqual(recorded.nodes.map((n) => n.key).sort());
    expect(data.links).toHaveLength(recorded.edges.length);
    // Each place names the agents that held it.
    const held = data.nodes.flatMap((n) => String(n.occupants).split(";"));
    expect(held.sort()).toEqual(want.agents.map((a) => a.id).sort());

    const gexf = join(tmp.path, "social.gexf");
    await exportOk(["gexf", dir, "--graph", "social", "--out", gexf]);
    const graph = parseGexf(Graph, readFileSync(gexf, "utf8"));
    expect(graph.type).toBe("undirected");
    expect(graph.order).toBe(recorded.nodes.length);
    expect(graph.size).toBe(recorded.edges.length);
  });

  it.runIf(hasNetworkx || process.env.CI)(
    "networkx reads GEXF, GraphML and node-link as the same DiGraph",
    () => {
      if (!hasNetworkx)
        throw new Error("python3-networkx is required under CI (.ci/run installs it)");
      const find = (ext: string) =>
        join(
          out,
          readdirSync(out).find((f) => f.endsWith(ext))!,
        );
      const loaded = networkx({
        gexf: find(".gexf"),
        graphml: find(".graphml"),
        nodeLink: find(".node-link.json"),
      });
      const nodes = want.agents.map((a) => a.id).sort();
      const weights = Object.fromEntries([...want.edges].map(([k, e]) => [k, e.weight]));
      for (const g of Object.values(loaded)) {
        expect(g.type).toBe("DiGraph");
        expect(g.nodes).toEqual(nodes);
        expect(g.edges).toEqual(weights);
        for (const agent of want.agents) {
          const row = want.lastRow.get(agent.id);
          if (row) expect(g.score[agent.id]).toBeCloseTo(row.score as number, 9);
        }
      }
    },
  );

  it("transcripts of a policy run: an empty file, stderr says why (exit 0); --json result", async () => {
    const file = join(tmp.path, "policy.transcripts.jsonl");
    const result = await exportOk(["transcripts", dir, "--out", file, "--json"]);
    expect(readFileSync(file, "utf8")).toBe("");
    expect(result.stderr).toMatch(/no LLM calls/);
    // stdout is one JSON document naming what was written.
    expect(JSON.parse(result.stdout)).toMatchObject({
      format: "transcripts",
      files: [{ path: file, summary: "0 LLM call(s)" }],
      skipped: [],
    });
  });

  it("usage errors exit 2 and name the format or the path", async () => {
    const missing = join(tmp.path, "nowhere");
    const [unknown, notRun, absent, inside, noOut] = await Promise.all([
      runCli(["export", "pajek", dir, "--out", join(tmp.path, "x.net")]),
      runCli(["export", "gexf", tmp.path, "--out", join(tmp.path, "x.gexf")]),
      runCli(["export", "gexf", missing, "--out", join(tmp.path, "x.gexf")]),
      runCli(["export", "gexf", dir, "--out", join(dir, "graph.gexf")]),
      runCli(["export", "graphml", dir]),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("pajek");
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toContain(`${tmp.path} is not a run directory`);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain(missing);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain("inside the run directory");
    expect(snapshot(dir)).toEqual(before);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain("--out");
  });
});

describe("agora export of a public-goods run (interactions without a recipient)", () => {
  it("counts each agent's contributions on its node and sums their amounts", async () => {
    const dir = await run(
      shipped("scenarios/public-goods/offline-ring.yaml", "pgg.yaml", { generations: 2 }),
      join(tmp.path, "pgg-run"),
    );
    const file = join(tmp.path, "pgg.graphml");
    await exportOk(["graphml", dir, "--out", file]);
    const graph = parseGraphml(Graph, readFileSync(file, "utf8"));
    const want = expected(dir);
    expect(want.untargeted.size).toBeGreaterThan(0);
    checkInteractionGraph(graph, want);
    const contributions = ofType(want.events, "interaction").filter((e) => e.to === null);
    const kind = contributions[0]!.kind;
    for (const agent of want.agents) {
      const own = contributions.filter((e) => e.from === agent.id);
      const amount = own.reduce((s, e) => s + (e.data.amount as number), 0);
      expect(graph.getNodeAttribute(agent.id, `untargeted_${kind}_count`)).toBe(own.length);
      expect(graph.getNodeAttribute(agent.id, `untargeted_${kind}_amount_sum`)).toBeCloseTo(
        amount,
        9,
      );
    }
  });
});

describe("agora export of a batch", () => {
  it("writes one file per run into --out DIR, each that run's graph", async () => {
    const config = shipped("scenarios/donor-game/offline-demo.yaml", "batch.yaml", {
      generations: 2,
      donorGame: { schedule: "code", selection: "mean-both-games", rounds: 3 },
      cache: { dir: join(tmp.path, "cache") },
    });
    const batchDir = join(tmp.path, "batch");
    const batch = await runCli(["batch", config, "--seeds", "0..1", "--out", batchDir]);
    expect(batch.code, batch.stderr).toBe(0);
    const out = join(tmp.path, "batch-out");
    await exportOk(["gexf", batchDir, "--out", out]);
    const runs = (
      JSON.parse(readFileSync(join(batchDir, "batch.json"), "utf8")) as {
        runs: { id: string }[];
      }
    ).runs;
    expect(runs).toHaveLength(2);
    expect(readdirSync(out).sort()).toEqual(runs.map((r) => `${r.id}.gexf`).sort());
    for (const { id } of runs) {
      const want = expected(join(batchDir, "runs", id));
      checkInteractionGraph(parseGexf(Graph, readFileSync(join(out, `${id}.gexf`), "utf8")), want);
    }

    const asFile = await runCli([
      "export",
      "gexf",
      batchDir,
      "--out",
      join(out, `${runs[0]!.id}.gexf`),
    ]);
    expect(asFile.code).toBe(2);
    expect(asFile.stderr).toContain("is a file");
  });
});
