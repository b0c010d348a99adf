import { resolve } from "node:path";
import type { Command } from "commander";
import { result, withOutputFlags } from "./output.js";
import { UsageError } from "../../core/errors.js";

/**
 * `agora report DIR [--metric m ...] [--out FILE]`: statistics, plots and report.html of a batch.
 */
export function registerReport(program: Command): void {
  const report = program
    .command("report")
    .description(
      "statistics (mean, sd, percentile and BCa bootstrap and t intervals, comparisons with Hedges' g), SVG plots and a self-contained report.html for a batch directory",
    )
    .argument("<dir>", "batch directory (agora batch --out DIR)")
    .option("--metric <name...>", "metrics to report (default: every numeric metric)")
    .option(
      "--reference <condition>",
      "the condition the others are compared with (default: the first)",
    )
    .option(
      "--out <file>",
      "report.html path (default DIR/report/report.html); the CSVs and SVGs go beside it",
    );
  withOutputFlags(report, true).action(
    async (dir: string, opts: { metric?: string[]; reference?: string; out?: string }) => {
      const [{ readBatchFile }, { buildReport }] = await Promise.all([
        import("../batch/batch-file.js"),
        import("../report/index.js"),
      ]);
      const root = resolve(dir);
      if (!readBatchFile(root))
        throw new UsageError(
          `${root} is not a batch directory (no batch.json; agora batch --out DIR makes one)`,
        );
      const built = await buildReport(root, {
        ...(opts.metric ? { metrics: opts.metric } : {}),
        ...(opts.reference !== undefined ? { reference: opts.reference } : {}),
        ...(opts.out !== undefined ? { out: opts.out } : {}),
      });
      const a = built.analysis;
      result(
        `${a.metrics.length} metric(s), ${a.conditions.length} condition(s), ${a.included.length} completed run(s) counted` +
          (a.excluded.length > 0 ? `, ${a.excluded.length} not completed left out` : "") +
          `\nreport: ${built.html}\n`,
        () => ({
          batchDir: root,
          report: built.html,
          files: built.files,
          metrics: a.metrics,
          conditions: a.conditions,
          reference: a.reference,
          runsCounted: a.included.length,
          runsLeftOut: a.excluded.length,
        }),
      );
    },
  );
}
