import { resolve } from "node:path";
import type { Command } from "commander";
import { status, withOutputFlags } from "./output.js";
import { positive, untilSignal } from "./server-flags.js";

interface WorkerFlags {
  queue: string;
  concurrency: number;
  llmConcurrency?: number;
  out: string;
  lockMs: number;
  rateWindowMs?: number;
}

/**
 * `agora worker --queue redis://HOST:PORT ...`: runs batch jobs until Ctrl-C
 * (sim/app/batch/queue/README.md).
 */
export function registerWorker(program: Command): Command {
  const worker = program
    .command("worker")
    .description(
      "run the jobs of batches enqueued with `agora batch --queue` (on any machine that reaches the Redis)",
    )
    .requiredOption("--queue <url>", "the Redis holding the queue: redis://HOST:PORT")
    .option(
      "--concurrency <n>",
      "runs in progress at once in this worker",
      positive("--concurrency", true),
      4,
    )
    .option(
      "--llm-concurrency <n>",
      "LLM calls in flight at once across this worker's runs (default: concurrency x 16)",
      positive("--llm-concurrency", true),
    )
    .option(
      "--out <dir>",
      "parent of the batch directories: runs go to OUT/<batch id>/runs/<run id> (shared storage, or collected later)",
      "runs",
    )
    .option(
      "--lock-ms <ms>",
      "how long a dead worker's jobs wait before another worker resumes them",
      positive("--lock-ms", true),
      30_000,
    )
    .option(
      "--rate-window-ms <ms>",
      "the window the profiles' rpm and tpm count over (default 60000: per minute; shorter for tests)",
      positive("--rate-window-ms", true),
    );
  // The worker's lines (its runs starting and ending) are status: stderr, none with --quiet.
  return withOutputFlags(worker, false).action(async (opts: WorkerFlags) => {
    const [{ parseQueueUrl }, { startWorker }] = await Promise.all([
      import("../batch/queue/connection.js"),
      import("../batch/queue/worker.js"),
    ]);
    const queue = parseQueueUrl(opts.queue);
    const out = resolve(opts.out);
    const worker = await startWorker({
      queue,
      out,
      concurrency: opts.concurrency,
      llmConcurrency: opts.llmConcurrency ?? opts.concurrency * 16,
      lockMs: opts.lockMs,
      ...(opts.rateWindowMs !== undefined ? { rateWindowMs: opts.rateWindowMs } : {}),
      log: status,
    });
    status(
      `worker: queue ${queue.host}, ${opts.concurrency} run(s) at once, runs under ${out} (Ctrl-C to stop)`,
    );
    await untilSignal();
    status("worker: stopping; runs in progress go back to the queue after their current step");
    await worker.close();
    status("worker: stopped");
  });
}
