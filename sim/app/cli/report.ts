import type { Command } from "commander";

/**
 * `agora report DIR [--metric m ...] [--out FILE]`: statistics, plots and report.html of a batch.
 */
export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "statistics (mean, sd, bootstrap CI, comparisons), SVG plots and a self-contained report.html for a batch directory",
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
    )
    .action(async (dir: string, opts: { metric?: string[]; reference?: string; out?: string }) => {
      const { buildReport } = await import("../report/index.js");
      const result = await buildReport(dir, {
        ...(opts.metric ? { metrics: opts.metric } : {}),
        ...(opts.reference !== undefined ? { reference: opts.reference } : {}),
        ...(opts.out !== undefined ? { out: opts.out } : {}),
      });
      const a = result.analysis;
      process.stdout.write(
        `${a.metrics.length} metric(s), ${a.conditions.length} condition(s), ${a.included.length} completed run(s) counted` +
          (a.excluded.length > 0 ? `, ${a.excluded.length} not completed left out` : "") +
          `\nreport: ${result.html}\n`,
      );
    });
}
