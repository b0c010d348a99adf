/**
 * The Donor Game with the paper's settings on policy minds, as a fixture keeps it: what a change
 * elsewhere (networks, selection rules, new metrics) must leave exactly as it was. Used by
 * tests/donor-paper-fixture.test.ts, and to write its fixture from an older checkout.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Well-mixed (the default complete graph), the paper's schedule, selection and truncation. */
export const PAPER_CONFIGS: Record<string, Record<string, unknown>> = {
  demo: {
    scenario: "donor-game",
    seed: 1,
    generations: 10,
    population: {
      size: 12,
      minds: [
        { count: 3, policy: "constant", fraction: 0.5 },
        { count: 3, policy: "tit-for-tat", initial: 1 },
        { count: 2, policy: "image-scoring", threshold: 0.3, fraction: 0.6 },
        { count: 2, policy: "defect" },
        { count: 2, policy: "random", min: 0, max: 1 },
      ],
    },
  },
  punishment: {
    scenario: "donor-game",
    seed: 3,
    generations: 5,
    population: {
      size: 12,
      minds: [
        { count: 4, policy: "image-scoring", threshold: 0.4, fraction: 0.7, punish: 0.2 },
        { count: 4, policy: "tit-for-tat", initial: 1 },
        { count: 4, policy: "random", min: 0, max: 0.8 },
      ],
    },
    donorGame: { punishment: "costly", survivorsRevise: true },
  },
};

type Row = Record<string, unknown>;

export interface PaperDigest {
  /** The metric keys and agent columns the digest covers (what the recording code wrote). */
  metricKeys: string[];
  agentColumns: string[];
  /** Per event type: count and SHA-256 (run-started and run-ended aside: config, wall clock). */
  events: Record<string, [number, string]>;
  metrics: Row[];
  agentsSha256: string;
}

const lines = (dir: string, file: string): Row[] =>
  readFileSync(join(dir, file), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Row);

const pick = (row: Row, keys: readonly string[]): Row =>
  Object.fromEntries(keys.filter((k) => k in row).map((k) => [k, row[k]]));

const sha256 = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex");

/**
 * A run directory's digest over the given metric keys and agent columns (all of them by default):
 * metric values are kept to those keys (metric events, metrics.jsonl), and agent rows to those
 * columns (generation-ended, agents.jsonl).
 */
export function paperDigest(
  dir: string,
  keys?: { metricKeys: string[]; agentColumns: string[] },
): PaperDigest {
  const metricsRows = lines(dir, "metrics.jsonl");
  const agents = lines(dir, "agents.jsonl");
  const events = lines(dir, "events.jsonl");
  const metricKeys = keys?.metricKeys ?? [
    ...new Set(events.flatMap((e) => (e.type === "metric" ? Object.keys(e.values as Row) : []))),
  ];
  const agentColumns = keys?.agentColumns ?? Object.keys(agents[0]!);
  const byType: Record<string, Row[]> = {};
  for (const { at: _at, ...event } of events) {
    if (event.type === "run-started" || event.type === "run-ended") continue;
    if (event.type === "metric") event.values = pick(event.values as Row, metricKeys);
    if (event.type === "generation-ended" && event.agents)
      event.agents = (event.agents as Row[]).map((row) => pick(row, agentColumns));
    (byType[event.type as string] ??= []).push(event);
  }
  return {
    metricKeys,
    agentColumns,
    events: Object.fromEntries(
      Object.entries(byType).map(([type, list]) => [type, [list.length, sha256(list)]]),
    ),
    metrics: metricsRows.map((row) => pick(row, ["generation", ...metricKeys])),
    agentsSha256: sha256(agents.map((row) => pick(row, agentColumns))),
  };
}
