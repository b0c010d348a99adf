/**
 * Where the CLI writes (docs/cli.md, "Output"): a command's result on stdout, as lines for people
 * or, with --json, as exactly one JSON document; progress and status on stderr, silenced by
 * --quiet; errors on stderr always. The mode is set once per process from the command's flags
 * before its action runs, so code that prints progress (the batch watcher, which the queue follower
 * also uses) needs no flags passed down.
 */
import type { Command } from "commander";

export interface OutputMode {
  json: boolean;
  quiet: boolean;
}

const mode: OutputMode = { json: false, quiet: false };
let resultWritten = false;

export function setOutputMode(next: OutputMode): void {
  Object.assign(mode, next);
}

export const outputMode = (): Readonly<OutputMode> => mode;

/** A status line for people ("viewer: URL", "run directory: …"): stderr, unless --quiet. */
export function status(line: string): void {
  if (!mode.quiet) process.stderr.write(`${line}\n`);
}

/**
 * The command's result: `human` (lines, each ending in a newline) on stdout, or with --json the
 * document `json()` gives instead. Written once; the first call wins.
 */
export function result(human: string, json: () => unknown): void {
  if (resultWritten) return;
  resultWritten = true;
  process.stdout.write(mode.json ? `${JSON.stringify(json(), null, 2)}\n` : human);
}

/**
 * With --json, a command that ends in an error before writing its result writes
 * `{ "error": message, "exitCode": code }` instead, so stdout is one JSON document on every exit.
 */
export function errorResult(message: string, exitCode: number): void {
  if (mode.json) result("", () => ({ error: message, exitCode }));
}

/** What a progress display writes to: a stream or, with --quiet, nothing. */
export type ProgressStream = Pick<NodeJS.WriteStream, "write" | "isTTY" | "columns" | "rows">;

const discard: ProgressStream = { write: () => true, isTTY: false, columns: 0, rows: 0 };

/** stderr for progress displays; a sink that drops everything with --quiet. */
export const progressStream = (): ProgressStream => (mode.quiet ? discard : process.stderr);

/**
 * Whether a progress display may redraw a status line in place (carriage returns and ANSI cursor
 * codes): only on a terminal, and not when NO_COLOR (https://no-color.org: any non-empty value) or
 * TERM=dumb asks for plain output. Otherwise it prints plain lines.
 */
export function redraws(stream: ProgressStream): boolean {
  const { NO_COLOR, TERM } = process.env;
  return stream.isTTY === true && !NO_COLOR && TERM !== "dumb";
}

/** Adds --quiet, and --json when the command has a machine-readable result. */
export function withOutputFlags(command: Command, json: boolean): Command {
  command.option("--quiet", "print no progress or status on stderr (errors still print)");
  return json
    ? command.option("--json", "print the result as one JSON document on stdout, nothing else")
    : command;
}
