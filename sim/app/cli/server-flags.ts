/**
 * The viewer-server flags shared by `agora run --serve`, `agora serve` and `agora batch --serve`,
 * and the number parsers of the CLI's flags.
 */
import { type Command, InvalidArgumentError } from "commander";
import { UsageError } from "../../core/errors.js";
import { SPEED_RANGE, speedProblem } from "../server/speed.js";

/** A bad combination of flags: exit 2, like commander's own usage errors. */
export { UsageError };

export interface ServeFlags {
  port?: number;
  host?: string;
  token?: string;
}

export function port(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(
      `--port: got "${value}", expected an integer from 0 to 65535 (0 = any free port)`,
    );
  return n;
}

/** A positive number (an integer if `integer`) for `flag`. */
export function positive(flag: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(
        `${flag}: got "${value}", expected a positive ${integer ? "integer" : "number"}`,
      );
    }
    return n;
  };
}

/** `--seed`: a non-negative integer, as `seed` in a config and `--seeds` of a batch. */
export function seed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`--seed: got "${value}", expected a non-negative integer`);
  return n;
}

export function speed(value: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (speedProblem(n))
    throw new InvalidArgumentError(`--speed: got "${value}", expected ${SPEED_RANGE}`);
  return n;
}

export function nonEmpty(flag: string) {
  return (value: string): string => {
    if (value.trim() === "") throw new InvalidArgumentError(`${flag}: expected a non-empty value`);
    return value;
  };
}

/**
 * Adds --port, --host, --token and --exit-when-done, the options of a command's `--serve`, which
 * ends with its `subject`.
 */
export function withServerFlags(command: Command, subject: string): Command {
  return command
    .option("--port <n>", "with --serve: port (default 7420; 0 = any free port)", port)
    .option(
      "--host <host>",
      "with --serve: address to listen on (default 127.0.0.1)",
      nonEmpty("--host"),
    )
    .option(
      "--token <token>",
      "with --serve: require this token from the viewer and API clients",
      nonEmpty("--token"),
    )
    .option("--exit-when-done", `with --serve: stop serving when the ${subject} ends`);
}

/**
 * --port, --host, --token and --exit-when-done mean nothing without --serve: say so rather than
 * ignore them.
 */
export function requireServe(opts: ServeFlags & { serve?: boolean; exitWhenDone?: boolean }): void {
  const misplaced = (["port", "host", "token", "exitWhenDone"] as const).filter(
    (key) => opts[key] !== undefined,
  );
  if (!opts.serve && misplaced.length > 0) {
    const flag = {
      port: "--port",
      host: "--host",
      token: "--token",
      exitWhenDone: "--exit-when-done",
    }[misplaced[0]!];
    throw new UsageError(`${flag} needs --serve`);
  }
}

/** Resolves at the first SIGINT/SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise((resolveSignal) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolveSignal();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
