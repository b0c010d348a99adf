/**
 * The `--queue` branch of `agora batch`: enqueue, follow with the batch progress display,
 * summarise.
 */
import { dirname, join } from "node:path";
import type { BatchPlan } from "../runner.js";
import { watchBatch } from "../watch.js";
import { parseQueueUrl } from "./connection.js";
import { runQueuedBatch } from "./coordinator.js";

export interface QueueFlags {
  queue: string;
  retryFailed?: boolean;
  maxCost?: number;
  maxCalls?: number;
}

/** Returns the exit code (the same codes as a local batch). */
export async function followQueuedBatch(
  plan: BatchPlan,
  out: string,
  flags: QueueFlags,
): Promise<number> {
  const queue = parseQueueUrl(flags.queue);
  const text = {
    where: `, queued at ${queue.host}`,
    onInterrupt:
      "no longer following (the jobs stay queued and the workers go on; the same command follows them again)",
  };
  return watchBatch(plan, out, text, async (progress, signal) => {
    const result = await runQueuedBatch(plan, {
      queue,
      out,
      retryFailed: flags.retryFailed ?? false,
      ...(flags.maxCost !== undefined ? { maxCost: flags.maxCost } : {}),
      ...(flags.maxCalls !== undefined ? { maxCalls: flags.maxCalls } : {}),
      signal,
      observer: progress,
      onFile: (file, totals) => progress.attach(file, totals),
      log: (line) => progress.line(line),
    });
    const unreadable = result.unreadable.length;
    return {
      ...result,
      note:
        `${result.added} job(s) added, ${plan.specs.length - result.added} already queued\n` +
        (result.reenqueued > 0
          ? `${result.reenqueued} job(s) re-enqueued after Redis lost them\n`
          : "") +
        (unreadable > 0
          ? `${unreadable} run(s) finished on a worker but are missing from ${join(result.dir, "runs")} (recorded as failed): the workers' --out must be ${dirname(result.dir)} on storage shared with this coordinator; once the runs are there, run the same command again\n`
          : ""),
    };
  });
}
