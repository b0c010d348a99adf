/**
 * What `agora batch` shows while a batch runs here or on a queue: header, progress, Ctrl-C,
 * summary. Header and progress are status (stderr, none with --quiet); the summary is the result
 * (stdout, or the batch's JSON document with --json).
 */
import { progressStream, result, status } from "../cli/output.js";
import { BatchProgress, batchJson, batchSummary } from "./progress.js";
import { BATCH_EXIT, type BatchPlan, type BatchResult } from "./runner.js";

export interface WatchText {
  /** Appended to the header's run count (e.g. where the runs are queued). */
  where?: string;
  /** What the first Ctrl-C does, after "interrupt: "; a second one exits at once. */
  onInterrupt: string;
}

/**
 * Prints the header, runs `go` with a batch progress display and a signal the first SIGINT/SIGTERM
 * aborts, then prints the overall line and the summary (after `note`). Returns the exit code.
 */
export async function watchBatch(
  plan: BatchPlan,
  out: string,
  text: WatchText,
  go: (progress: BatchProgress, signal: AbortSignal) => Promise<BatchResult & { note?: string }>,
): Promise<number> {
  const progress = new BatchProgress(progressStream());
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) process.exit(BATCH_EXIT.interrupted);
    progress.line(`interrupt: ${text.onInterrupt}`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const conditions = new Set(plan.specs.map((s) => s.conditionLabel)).size;
  status(
    `batch directory: ${out}\n${plan.specs.length} run(s): ${conditions} condition(s) x ${plan.seeds.length} seed(s)${text.where ?? ""}`,
  );
  try {
    const outcome = await go(progress, abort.signal);
    progress.stop();
    const code = BATCH_EXIT[outcome.status];
    result(
      `${outcome.note ?? ""}${progress.overall()}\n${batchSummary(outcome.file, out)}`,
      () => ({
        ...batchJson(outcome.file, out, code),
        ...(outcome.note ? { note: outcome.note.trim() } : {}),
      }),
    );
    return code;
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
