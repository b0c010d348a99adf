import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { pricedCost, type Totals } from "../../core/spend.js";
import { redraws, type ProgressStream } from "../cli/output.js";
import { statusLine } from "../cli/progress.js";
import type { RunHandle } from "../run.js";
import { countRuns, type BatchFile } from "./batch-file.js";
import type { RunSpec } from "./plan.js";
import type { BatchObserver } from "./runner.js";
import { runDirOf, type SummaryRow } from "./rows.js";

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

function eta(ms: number): string {
  const minutes = ms / 60_000;
  return minutes < 1
    ? `${Math.max(1, Math.round(ms / 1000))} s`
    : minutes < 120
      ? `${Math.round(minutes)} min`
      : `${(minutes / 60).toFixed(1)} h`;
}

interface Active {
  spec: RunSpec;
  handle?: RunHandle;
  /** A run on a worker thread: its status line as the thread last sent it. */
  line?: string;
  startedAt: number;
}

/**
 * The batch's progress. On a terminal: an overall line (runs done, failed, running, ETA, calls,
 * tokens, cost) and a line per active run, redrawn in place. Otherwise (or with NO_COLOR) plain
 * lines: each run's start and end, each followed at its end by the overall line.
 */
export class BatchProgress implements BatchObserver {
  private readonly active = new Map<string, Active>();
  private readonly startedAt = Date.now();
  private generationsAtStart = 0;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private file: BatchFile | undefined;
  private totals: () => Totals = () => this.file!.totals;

  /**
   * A run's status line, kept for the next redraw: only on a terminal, since plain output never
   * shows it (and the runner asks threads for status lines only when this exists).
   */
  readonly onRunStatus?: (spec: RunSpec, line: string) => void;

  constructor(private readonly stream: ProgressStream) {
    if (redraws(stream))
      this.onRunStatus = (spec, line) => {
        const active = this.active.get(spec.id);
        if (active) active.line = line;
      };
  }

  private get inPlace(): boolean {
    return redraws(this.stream);
  }

  /** Called once batch.json exists; `totals` reads the shared budget's live totals. */
  attach(file: BatchFile, totals: () => Totals): void {
    this.file = file;
    this.totals = totals;
    this.generationsAtStart = file.runs.reduce((n, r) => n + r.generationsCompleted, 0);
    if (this.inPlace) this.timer = setInterval(() => this.redraw(), 250);
  }

  onRunBegin(spec: RunSpec, mode: "start" | "resume"): void {
    this.active.set(spec.id, { spec, startedAt: Date.now() });
    if (!this.inPlace) this.line(`${mode === "start" ? "start" : "resume"} ${spec.id}`);
  }

  onRunStart(spec: RunSpec, handle: RunHandle): void {
    const active = this.active.get(spec.id);
    if (active) active.handle = handle;
  }

  onRunEnd(spec: RunSpec, row: SummaryRow): void {
    this.active.delete(spec.id);
    const cost = row.cost === null ? "cost n/a" : `$${row.cost.toFixed(4)}`;
    this.line(
      `${row.status} ${spec.id}: ${row.generations} generation(s), ${row.llm_calls} LLM call(s), ${cost}${row.error ? `; error: ${row.error}` : ""}`,
    );
    if (!this.inPlace) this.line(this.overall());
  }

  onRetry(
    spec: RunSpec,
    info: { agentId: string; profile: string; attempt: number; error: unknown; waitMs: number },
  ): void {
    this.line(
      `retry ${info.attempt} in ${spec.id} for ${info.agentId} (${info.profile}) in ${Math.round(info.waitMs)} ms: ${(info.error as Error).message?.split("\n")[0]}`,
    );
  }

  /** The overall line: runs done / failed / running / pending, ETA, calls, tokens, cost. */
  overall(): string {
    const file = this.file;
    if (!file) return "batch: starting";
    const counts = countRuns(file.runs);
    const done = counts.completed + counts.failed + counts["budget-exhausted"];
    const generationsDone =
      file.runs.reduce((n, r) => n + r.generationsCompleted, 0) - this.generationsAtStart;
    const remaining = file.runs
      .filter((r) => r.status !== "completed" && r.status !== "failed")
      .reduce((n, r) => n + r.generations - r.generationsCompleted, 0);
    const elapsed = Date.now() - this.startedAt;
    const etaText =
      remaining === 0
        ? "0 s"
        : generationsDone > 0
          ? eta((elapsed / generationsDone) * remaining)
          : "?";
    const totals = this.totals();
    const cost = pricedCost(totals);
    const parts = [
      `runs ${done}/${file.runs.length} done`,
      `${counts.failed} failed`,
      ...(counts["budget-exhausted"] ? [`${counts["budget-exhausted"]} budget-exhausted`] : []),
      `${counts.running} running`,
      `ETA ${etaText}`,
      `calls ${compact.format(totals.calls)}`,
      `tokens ${compact.format(totals.tokensIn)} in / ${compact.format(totals.tokensOut)} out`,
      cost === null ? "cost n/a" : `$${cost.toFixed(4)}`,
    ];
    return `batch: ${parts.join(" · ")}`;
  }

  line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    if (this.inPlace) this.redraw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private clear(): void {
    if (!this.inPlace || this.drawn === 0) return;
    this.stream.write(`${this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : ""}\r\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.inPlace || !this.file) return;
    const rows = Math.max(3, (this.stream.rows ?? 24) - 2);
    const lines = [this.overall()];
    for (const { spec, handle, line, startedAt } of [...this.active.values()].slice(0, rows - 1)) {
      lines.push(
        `  ${spec.id}: ${handle ? statusLine(handle, startedAt, handle.loaded.config.generations) : (line ?? "starting")}`,
      );
    }
    const width = this.stream.columns ?? 120;
    this.clear();
    this.stream.write(
      lines.map((l) => (l.length > width - 1 ? `${l.slice(0, width - 2)}…` : l)).join("\n"),
    );
    this.drawn = lines.length;
  }
}

/**
 * The end of a batch as `agora batch` prints it (run here or through a queue): counts, budget,
 * failures, tables.
 */
export function batchSummary(file: BatchFile, out: string): string {
  const { counts, budget } = file;
  const failed = file.runs.filter((r) => r.status === "failed");
  const caps = [
    budget.maxCalls !== null ? `max-calls ${budget.maxCalls}` : "",
    budget.maxCost !== null ? `max-cost $${budget.maxCost}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return (
    `batch ${file.status}: ${counts.completed} completed, ${counts.failed} failed, ${counts["budget-exhausted"]} budget-exhausted, ${file.runs.length - counts.completed - counts.failed - counts["budget-exhausted"]} not finished (of ${file.runs.length})\n` +
    (budget.exhausted
      ? `the batch budget (${caps}) is exhausted; raise it and run the same command to continue\n`
      : "") +
    failed.map((r) => `failed ${r.id}: ${r.error}\n`).join("") +
    (failed.length > 0
      ? "run the same command with --retry-failed to retry the failed runs (a run whose directory" +
        " the coordinator could not read needs shared storage first: see its error)\n"
      : "") +
    `tables: ${tableFiles(out)
      .map((path) => basename(path))
      .join(", ")} in ${out}\n`
  );
}

/** The batch's table files (DIR/*.parquet, DIR/*.csv), absolute, by name. */
export function tableFiles(out: string): string[] {
  return readdirSync(out)
    .filter((name) => /\.(parquet|csv)$/.test(name))
    .sort()
    .map((name) => join(out, name));
}

/** The end of a batch as `agora batch --json` prints it (docs/cli.md, "JSON results"). */
export function batchJson(file: BatchFile, out: string, exitCode: number): Record<string, unknown> {
  return {
    batchDir: out,
    batchId: file.batchId,
    config: file.config,
    status: file.status,
    exitCode,
    counts: file.counts,
    budget: file.budget,
    llm: { ...file.totals, cost: pricedCost(file.totals) },
    runs: file.runs.map((run) => ({ ...run, runDir: runDirOf(out, run.id) })),
    tables: tableFiles(out),
  };
}
