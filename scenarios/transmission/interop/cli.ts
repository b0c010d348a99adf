import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { InvalidArgumentError, Option } from "commander";
import { UsageError } from "../../../sim/core/errors.js";
import { FILES, readManifest } from "../../../sim/core/recorder.js";
import type { ScenarioCommands } from "../../../sim/core/scenario.js";
import { exportLlmCulture, importLlmCulture, writeLlmCultureFile } from "./llm-culture.js";

function chainIndex(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(
      `--chain: got "${value}", expected a chain index (an integer >= 0)`,
    );
  return n;
}

/**
 * `agora import llm-culture FILE --out DIR` and `agora export llm-culture RUN_DIR --out FILE`. A
 * bad
 * input file or a run that does not fit the format is an LlmCultureInputError: a usage error (exit
 * 2).
 */
export const llmCultureCommands: ScenarioCommands = ({ importCommand, exportCommand }) => {
  importCommand
    .command("llm-culture")
    .description(
      "import an LLM-Culture output JSON (adjacency_matrix, prompts, personality_list, stories) as a transmission run",
    )
    .argument("<file>", "LLM-Culture output JSON")
    .requiredOption("--out <dir>", "run directory to write (overwritten if it exists)")
    .addOption(
      new Option("--stop-words <mode>", "TF-IDF stop words for the metrics")
        .choices(["english", "none"])
        .default("english"),
    )
    .addOption(
      new Option(
        "--tfidf-fit <corpus>",
        "fit TF-IDF on the texts seen so far (seen: as a live run) or on the whole run (run: as LLM-Culture's analysis)",
      )
        .choices(["seen", "run"])
        .default("seen"),
    )
    .action(
      async (
        file: string,
        opts: { out: string; stopWords: "english" | "none"; tfidfFit: "seen" | "run" },
      ) => {
        const result = await importLlmCulture(
          file,
          opts.out,
          { stopWords: opts.stopWords },
          opts.tfidfFit,
        );
        process.stdout.write(
          `imported ${result.mode}: ${result.agents} agent(s), ${result.generations} generation(s)\nrun directory: ${result.dir}\n`,
        );
      },
    );

  exportCommand
    .command("llm-culture")
    .description("write a transmission run directory as LLM-Culture's output JSON")
    .argument("<run-dir>", "run directory of a transmission run")
    .requiredOption("--out <file>", "JSON file to write")
    .option(
      "--chain <k>",
      "chain mode: the chain to write (0-based; required when the run has several)",
      chainIndex,
    )
    .action((runDir: string, opts: { out: string; chain?: number }) => {
      // Not a transmission run directory: the command line names the wrong input (exit 2).
      const dir = resolve(runDir);
      if (!existsSync(join(dir, FILES.manifest)))
        throw new UsageError(`${dir} is not a run directory (no ${FILES.manifest})`);
      const { scenario } = readManifest(dir);
      if (scenario !== "transmission")
        throw new UsageError(
          `${dir} is a ${scenario} run; export llm-culture takes a transmission run`,
        );
      const output = exportLlmCulture(
        runDir,
        opts.chain !== undefined ? { chain: opts.chain } : {},
      );
      writeLlmCultureFile(resolve(opts.out), output);
      process.stdout.write(
        `exported ${output.stories.length} generation(s) of ${output.adjacency_matrix.length} agent(s) to ${resolve(opts.out)}\n`,
      );
    });
};
