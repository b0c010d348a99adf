import { basename } from "node:path";
import { preloadScenario, scenarioLookup } from "../scenarios.js";
import { resolveConfig } from "../../core/config.js";
import { resumeRun, startRunFrom, type RunOptions } from "../run.js";
import type { RunSpec } from "./plan.js";
import { readRunManifest, runDirOf, runRow, type SummaryRow } from "./rows.js";
import type { SharedResources } from "./shared.js";

export interface RunOneOptions extends Pick<
  RunOptions,
  "signal" | "hooks" | "onStart" | "onRetry" | "env"
> {
  /** The batch id for the row's `batch` column (default: the batch directory's name). */
  batch?: string;
  /** Run a run again whose directory says it failed (it resumes from its last checkpoint). */
  retryFailed?: boolean;
  /** Told before a run starts or resumes (not for a run that is skipped). */
  onBegin?: (mode: "start" | "resume") => void;
}

/**
 * Runs, resumes or skips one run of a batch in DIR/runs/<spec.id> and returns its runs-table row.
 * A completed run is left alone, so is a failed one unless `retryFailed`; any other run directory
 * (crashed, interrupted, budget-exhausted) is resumed from its last checkpoint. Never throws for a
 * run that fails: the row says `failed` with the error.
 */
export async function runOne(
  spec: RunSpec,
  batchDir: string,
  shared: SharedResources,
  options: RunOneOptions = {},
): Promise<SummaryRow> {
  const dir = runDirOf(batchDir, spec.id);
  const batch = options.batch ?? basename(batchDir);
  const { batch: _batch, retryFailed, onBegin, ...runOptions } = options;
  try {
    // A thread of its own loads the scenario here: a module that fails fails this run alone.
    await preloadScenario(spec.raw, spec.configDir);
    const manifest = readRunManifest(dir);
    if (manifest) {
      const hash = resolveConfig(spec.raw, scenarioLookup(spec.configDir), {}, spec.configDir).hash;
      if (hash !== manifest.configHash) {
        throw new Error(
          `${dir} holds a run of another config (configHash ${manifest.configHash.slice(0, 12)}, this batch's is ${hash.slice(0, 12)}); move it away or use another --out`,
        );
      }
      if (manifest.status === "completed" || (manifest.status === "failed" && !retryFailed))
        return runRow(spec, batch, batchDir);
      onBegin?.("resume");
      await resumeRun(dir, { ...runOptions, shared });
    } else {
      onBegin?.("start");
      await startRunFrom(spec.raw, spec.configDir, { ...runOptions, shared, out: dir });
    }
    return runRow(spec, batch, batchDir);
  } catch (error) {
    return runRow(spec, batch, batchDir, {
      status: "failed",
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
