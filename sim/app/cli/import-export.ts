import { Option, type Command } from "commander";
import type { AnyScenario } from "../../core/scenario.js";
import { result, status, withOutputFlags } from "./output.js";
import {
  EXPORT_FORMATS,
  GRAPH_KINDS,
  type ExportFormat,
  type GraphKind,
} from "../export/formats.js";

/**
 * `agora import FORMAT …` and `agora export FORMAT …`: the standard exports of any run (GEXF,
 * GraphML, node-link JSON, lineage, transcripts; sim/app/export/) and the scenarios' own formats
 * (each scenario's `commands` adds its subcommands).
 */
export function registerImportExport(program: Command, scenarios: readonly AnyScenario[]): void {
  const importCommand = program
    .command("import")
    .description("turn another tool's output into an Agora run directory");
  const exportCommand = program
    .command("export")
    .description("write a run (or each run of a batch) in another tool's format");
  for (const [format, spec] of Object.entries(EXPORT_FORMATS)) {
    const command = exportCommand
      .command(format)
      .description(spec.description)
      .argument("<dir>", "run directory, or batch directory (one file per run)")
      .requiredOption(
        "--out <path>",
        `file to write (an existing directory: DIR/<run id>${spec.extension}); for a batch, the directory for its runs' files`,
      );
    if (spec.graph)
      command.addOption(
        new Option("--graph <which>", "the interactions between agents, or the social graph")
          .choices(GRAPH_KINDS)
          .default("interactions"),
      );
    withOutputFlags(command, true).action(
      async (dir: string, opts: { out: string; graph?: GraphKind }) => {
        const { exportPath } = await import("../export/index.js");
        const exported = exportPath(dir, format as ExportFormat, opts);
        for (const file of exported.files) if (file.note) status(`${file.runId}: ${file.note}`);
        if (exported.skipped.length > 0)
          status(
            `${exported.skipped.length} run(s) of the batch have no run directory yet, nothing written for them: ${exported.skipped.join(", ")}`,
          );
        result(
          exported.files.map((f) => `${f.runId}: ${f.summary} -> ${f.path}\n`).join(""),
          () => ({ format, ...exported }),
        );
      },
    );
  }
  for (const scenario of scenarios) scenario.commands?.({ importCommand, exportCommand });
}
