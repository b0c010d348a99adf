import { pricedCost } from "../../core/spend.js";
import type { RunHandle } from "../run.js";
import { redraws, type ProgressStream } from "./output.js";

const compact = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${s % 60}s`
      : `${s}s`;
}

/** One status line: generation, step, calls in flight, tokens, cost, ETA. */
export function statusLine(handle: RunHandle, startedAt: number, generations: number): string {
  const { progress } = handle.engine;
  const totals = handle.ledger.run;
  const step = progress.step
    ? `${progress.step.name}${progress.step.t.round ? ` ${progress.step.t.round}` : ""}`
    : "starting";
  const done =
    Math.max(0, progress.generation - 1) +
    (progress.stepsInGeneration ? progress.stepIndex / progress.stepsInGeneration : 0);
  const elapsed = Date.now() - startedAt;
  const eta = done > 0 ? duration((elapsed / done) * (generations - done)) : "?";
  const cost = pricedCost(totals);
  const costText = cost === null ? "cost n/a" : `$${cost.toFixed(4)}`;
  const cut = totals.truncated > 0 ? ` · ${compact(totals.truncated)} cut at maxTokens` : "";
  const over =
    totals.contextExceeded > 0 ? ` · ${compact(totals.contextExceeded)} over context` : "";
  return `gen ${progress.generation}/${generations} · ${step} · in flight ${handle.minds.inFlight} · calls ${compact(totals.calls)}${cut}${over} · tokens ${compact(totals.tokensIn)} in / ${compact(totals.tokensOut)} out · ${costText} · ETA ${eta}`;
}

/** Counts of unusable answers and truncated or refused calls, named whenever not zero. */
const CALL_COUNTS = ["llmTruncated", "llmContextExceeded"] as const;

/** The counts `keys` (and the engine's call counts) summed over `rows`, zeros included. */
export function unusableTotals(
  rows: readonly Record<string, unknown>[],
  keys: readonly string[],
): Record<string, number> {
  return Object.fromEntries(
    [...keys, ...CALL_COUNTS].map((key) => [
      key,
      rows.reduce((n, row) => n + (typeof row[key] === "number" ? (row[key] as number) : 0), 0),
    ]),
  );
}

/**
 * "unusable: parseFailures=3 fallbackDecisions=1 llmTruncated=8" for the counts among `keys` (and
 * the engine's call counts) that are not zero in `rows`, summed; "" when all are zero.
 */
export function unusableText(
  rows: readonly Record<string, unknown>[],
  keys: readonly string[],
): string {
  const named = Object.entries(unusableTotals(rows, keys))
    .filter(([, total]) => total > 0)
    .map(([key, total]) => `${key}=${total}`);
  return named.length > 0 ? `unusable: ${named.join(" ")}` : "";
}

/**
 * A live status line on a terminal; plain lines (one per generation) when the stream is not one or
 * NO_COLOR is set (see `redraws`), so logs and CI output stay readable.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private handle: RunHandle | undefined;
  private readonly startedAt = Date.now();
  private stopped = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly generations: number,
  ) {}

  private get inPlace(): boolean {
    return redraws(this.stream);
  }

  start(handle: RunHandle): void {
    this.handle = handle;
    this.stream.write(`run directory: ${handle.dir}\n`);
    if (this.inPlace) this.timer = setInterval(() => this.redraw(), 250);
  }

  generationDone(generation: number, metrics: Record<string, unknown>): void {
    const headline = Object.entries(metrics)
      .filter(([key, value]) => key !== "generation" && typeof value === "number")
      .slice(0, 3)
      .map(([key, value]) => `${key}=${Number(value).toFixed(3)}`)
      .join(" ");
    const unusable = unusableText([metrics], this.handle?.loaded.scenario.unusableCounts ?? []);
    this.line(
      `generation ${generation}/${this.generations} done: ${headline}${unusable ? ` · ${unusable}` : ""}`,
    );
  }

  line(text: string): void {
    if (this.inPlace) this.stream.write("\r\x1b[2K");
    this.stream.write(`${text}\n`);
    if (this.inPlace) this.redraw();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.inPlace) this.stream.write("\r\x1b[2K");
    if (this.handle && !this.inPlace)
      this.stream.write(`${statusLine(this.handle, this.startedAt, this.generations)}\n`);
  }

  private redraw(): void {
    if (this.handle)
      this.stream.write(`\r\x1b[2K${statusLine(this.handle, this.startedAt, this.generations)}`);
  }
}
