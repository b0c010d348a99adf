import { join } from "node:path";
import { FILES, readJsonLines } from "../../core/recorder.js";
import { pricedCost } from "../../core/spend.js";
import type { RunResult } from "../run.js";
import { unusableText, unusableTotals } from "./progress.js";

/**
 * The end of a run as `agora run` and `agora resume` print it: lines for people, and the --json
 * document (docs/cli.md, "JSON results"), both from the run directory's manifest and metrics.
 * `unusableKeys` are the scenario's unusable counts.
 */
export function runResult(
  run: RunResult,
  unusableKeys: readonly string[],
  exitCode: number,
): { human: string; json: () => Record<string, unknown> } {
  const m = run.manifest;
  const rows = readJsonLines<Record<string, unknown>>(join(run.dir, FILES.metrics));
  const unusable = unusableText(rows, unusableKeys);
  const human =
    `${run.status}: ${m.generationsCompleted} generation(s), ${m.totals.calls ?? 0} LLM call(s), cache ${m.cache.hits} hit(s) / ${m.cache.misses} miss(es)${m.cache.corrupt ? ` (${m.cache.corrupt} damaged entr${m.cache.corrupt === 1 ? "y" : "ies"} dropped and fetched again)` : ""}\n` +
    (unusable ? `${unusable} (over all generations; see metrics.jsonl)\n` : "") +
    (run.error ? `error: ${run.error}\n` : "") +
    `run directory: ${run.dir}\n`;
  const json = () => ({
    runDir: run.dir,
    runId: m.runId,
    scenario: m.scenario,
    seed: m.seed,
    configHash: m.configHash,
    status: run.status,
    exitCode,
    error: run.error ?? null,
    generations: (m.config as { generations: number }).generations,
    generationsCompleted: m.generationsCompleted,
    // The last completed generation's metrics row.
    metrics: rows.at(-1) ?? null,
    unusable: unusableTotals(rows, unusableKeys),
    llm: { ...m.totals, cost: pricedCost(m.totals) },
    cache: {
      mode: m.cache.mode,
      hits: m.cache.hits,
      misses: m.cache.misses,
      corrupt: m.cache.corrupt ?? 0,
    },
  });
  return { human, json };
}
