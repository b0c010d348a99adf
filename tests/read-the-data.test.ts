/**
 * The README's "Read the data" snippets, run as written on a fresh `runs/demo` (the demo config
 * with 12 generations, so that ids of generation 1 and 11 with two-digit indices both exist), and
 * the two properties they rely on: ids no reader takes for numbers, and metric values that keep
 * one type across runs. pandas and R run where the machine has them; under CI (`.ci/run` installs
 * python3-pandas and r-cran-jsonlite) they are required.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { AgoraEvent } from "../sim/core/events.js";
import { ROOT, runCli, tempDir } from "./support/llm-helpers.js";

const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The fenced blocks of one language in the README's "Read the data" section. */
function snippets(language: string): string[] {
  const start = README.indexOf("## Read the data");
  const section = README.slice(start, README.indexOf("\n## ", start + 1));
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)]
    .filter((m) => m[1] === language)
    .map((m) => m[2]!);
}

/**
 * What Python's int() and float() accept, digit-group underscores included: the rules pandas
 * applies when it infers a column's type from strings.
 */
const DIGITS = String.raw`\d(?:_?\d)*`;
const PYTHON_NUMBER = new RegExp(
  String.raw`^\s*[+-]?(?:(?:${DIGITS})?\.?(?:${DIGITS})(?:[eE][+-]?${DIGITS})?|${DIGITS}\.|inf|infinity|nan)\s*$`,
  "i",
);

const lines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0);

const ciRequires = (tool: string) =>
  `${tool} is required under CI (.ci/run installs it); install it to run this test locally`;

let work: { path: string; cleanup: () => void };
let runDir: string;
let agentRows: Record<string, unknown>[];
let events: AgoraEvent[];

beforeAll(async () => {
  work = tempDir("agora-read-data-");
  const config = parseYaml(
    readFileSync(join(ROOT, "scenarios/donor-game/offline-demo.yaml"), "utf8"),
  ) as Record<string, unknown>;
  writeFileSync(join(work.path, "demo.yaml"), stringifyYaml({ ...config, generations: 12 }));
  runDir = join(work.path, "runs", "demo");
  const result = await runCli(["run", join(work.path, "demo.yaml"), "--out", runDir]);
  expect(result.code, result.stderr).toBe(0);
  agentRows = lines(join(runDir, "agents.jsonl")).map((l) => JSON.parse(l));
  events = lines(join(runDir, "events.jsonl")).map((l) => JSON.parse(l) as AgoraEvent);
}, 120_000);

afterAll(() => work?.cleanup());

const distinctIds = () => new Set(agentRows.map((r) => r.agentId as string)).size;
const donationCount = () =>
  events.filter((e) => e.type === "interaction" && e.kind === "donation").length;

describe("ids and types", () => {
  it("no id in any file reads as a number under Python's rules", () => {
    const ids = new Set<string>();
    for (const row of agentRows) {
      ids.add(row.agentId as string);
      ids.add(row.slot as string);
      for (const parent of row.parents as string[]) ids.add(parent);
    }
    for (const event of events) {
      if (event.type === "interaction") {
        ids.add(event.from);
        if (event.to !== null) ids.add(event.to);
      }
      if (event.type === "agent-created") ids.add(event.agent.id);
      if (event.type === "generation-ended")
        for (const id of [...event.survivors, ...event.removed, ...Object.keys(event.scores)])
          ids.add(id);
    }
    // Both ids that once collided ("1_11" and "11_1" -> 111) are present and distinct.
    expect(ids.has("g1-a11") && ids.has("g11-a1")).toBe(true);
    expect([...ids].filter((id) => PYTHON_NUMBER.test(id))).toEqual([]);
    // The rule itself: the old form is a number to Python, the new one is not.
    expect(PYTHON_NUMBER.test("11_1")).toBe(true);
    expect(PYTHON_NUMBER.test("g11-a1")).toBe(false);
  });

  it("every metric value but the generation is written with a decimal point", () => {
    for (const line of lines(join(runDir, "metrics.jsonl"))) {
      const numbers = [...line.matchAll(/"(\w+)":(-?[\d.eE+-]+)/g)];
      expect(numbers.length).toBeGreaterThan(5);
      for (const [, key, text] of numbers) {
        if (key === "generation") expect(text).toMatch(/^\d+$/);
        else expect(`${key}=${text}`).toMatch(/[.eE]/);
      }
    }
  });
});

describe("README snippets, as written", () => {
  it("DuckDB: every query runs; ids are VARCHAR and distinct; metrics are DOUBLE", async () => {
    const [sql] = snippets("sql");
    // The snippet's relative paths, as from a shell in the work directory (DuckDB would look in
    // this process's working directory first, where a `runs/demo` of `npm start` may stand).
    const statements = sql!
      .replaceAll("'runs/demo/", `'${work.path}/runs/demo/`)
      .split(";")
      .map((s) => s.trim())
      .filter(Boolean);
    expect(statements).toHaveLength(3);
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      const results = [];
      for (const statement of statements) results.push(await connection.runAndReadAll(statement));
      const [metricsResult, agentsResult, kindsResult] = results;
      expect(metricsResult!.currentRowCount).toBe(12);
      // Every metric is DOUBLE as DuckDB infers it, also those whole in every row of this run
      // (punishmentRate is 0 throughout), which it would read as BIGINT from `0`.
      const described = (
        await connection.runAndReadAll(
          `DESCRIBE SELECT * FROM read_json_auto('${join(runDir, "metrics.jsonl")}')`,
        )
      ).getRowObjectsJS() as { column_name: string; column_type: string }[];
      const types = new Set(
        described.filter((c) => c.column_name !== "generation").map((c) => c.column_type),
      );
      expect([...types]).toEqual(["DOUBLE"]);
      expect(described.find((c) => c.column_name === "punishmentRate")).toBeDefined();
      expect(String(agentsResult!.columnTypes()[0])).toBe("VARCHAR");
      const agentIds = agentsResult!.getRowObjectsJS().map((r) => r.agentId as string);
      expect(agentIds).toHaveLength(agentRows.length);
      expect(new Set(agentIds).size).toBe(distinctIds());
      const donations = kindsResult!.getRowObjectsJS().find((r) => r.kind === "donation");
      expect(Number(donations!.n)).toBe(donationCount());
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  const python = ["/usr/bin/python3", "python3"].find(
    (bin) => spawnSync(bin, ["-c", "import pandas"]).status === 0,
  );
  it.runIf(python || process.env.CI)("pandas: ids stay distinct strings, even untyped", () => {
    if (!python) throw new Error(ciRequires("python3 with pandas"));
    const [pandas] = snippets("python").filter((s) => s.includes("import pandas"));
    const check = `
untyped = pd.read_json("runs/demo/agents.jsonl", lines=True)
print(json.dumps({
    "rows": len(agents),
    "ids": int(agents["agentId"].nunique()),
    "untypedIds": int(untyped["agentId"].nunique()),
    "idTypes": sorted({type(x).__name__ for x in untyped["agentId"]}),
    "donations": len(donations),
    "fromTypes": sorted({type(x).__name__ for x in donations["from"]}),
    "metricsDtype": str(metrics["punishmentRate"].dtype),
}))
`;
    const result = spawnSync(python!, ["-c", pandas! + check], {
      cwd: work.path,
      encoding: "utf8",
    });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      rows: agentRows.length,
      ids: distinctIds(),
      untypedIds: distinctIds(),
      idTypes: ["str"],
      donations: donationCount(),
      fromTypes: ["str"],
      metricsDtype: "float64",
    });
  });

  const rscript = spawnSync("Rscript", ["-e", "library(jsonlite)"]).status === 0;
  it.runIf(rscript || process.env.CI)("R (jsonlite): ids are character and distinct", () => {
    if (!rscript) throw new Error(ciRequires("Rscript with jsonlite (r-cran-jsonlite)"));
    const [r] = snippets("r");
    const check = `
cat(toJSON(list(rows = nrow(agents), ids = length(unique(agents$agentId)),
  idClass = class(agents$agentId), donations = nrow(donations)), auto_unbox = TRUE))
`;
    mkdirSync(join(work.path, "r"), { recursive: true });
    const script = join(work.path, "r", "snippet.R");
    writeFileSync(script, r! + check);
    const result = spawnSync("Rscript", [script], { cwd: work.path, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      rows: agentRows.length,
      ids: distinctIds(),
      idClass: "character",
      donations: donationCount(),
    });
  });
});
