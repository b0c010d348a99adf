import type { Command } from "commander";
import type { AnyScenario } from "../../core/scenario.js";

/**
 * `agora import FORMAT …` and `agora export FORMAT …`: the formats are the scenarios' own (each
 * scenario's `commands` adds its subcommands), so the CLI knows none of them.
 */
export function registerImportExport(program: Command, scenarios: readonly AnyScenario[]): void {
  const importCommand = program
    .command("import")
    .description("turn another tool's output into an Agora run directory");
  const exportCommand = program
    .command("export")
    .description("write a run in another tool's format");
  for (const scenario of scenarios) scenario.commands?.({ importCommand, exportCommand });
}
