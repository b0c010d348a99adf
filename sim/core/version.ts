import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder of Agora's package.json: two levels up from sim/core, three from dist/sim/core. */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return join(here, "..", "..");
  }
}

export const PACKAGE_ROOT = packageRoot();

export const AGORA_VERSION: string = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }
).version;

let commit: string | null | undefined;

/**
 * The checkout's commit when Agora runs from git, else null. Read once per process (or thread): the
 * code running is what was loaded then, and asking git blocks the event loop for milliseconds, once
 * per run of a batch otherwise.
 */
export function gitCommit(): string | null {
  if (commit === undefined) commit = readCommit();
  return commit;
}

function readCommit(): string | null {
  try {
    return (
      execFileSync("git", ["rev-parse", "HEAD"], {
        cwd: PACKAGE_ROOT,
        stdio: ["ignore", "pipe", "ignore"],
      })
        .toString()
        .trim() || null
    );
  } catch {
    return null;
  }
}
