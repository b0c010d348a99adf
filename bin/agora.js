#!/usr/bin/env node
/**
 * The `agora` command. It starts the built CLI (dist/, made by `npm run build`) with plain Node.
 * In a checkout whose build is missing or older than the sources (a fresh clone before its first
 * build, or sources edited since), it runs the TypeScript sources through tsx instead: slower to
 * start, never stale. AGORA_FROM_SOURCE=1 always runs the sources; AGORA_FROM_SOURCE=0 runs the
 * build even when it is older than the sources.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILT = join(ROOT, "dist", "sim", "app", "cli", "main.js");
const SOURCE = join(ROOT, "sim", "app", "cli", "main.ts");
/** Not inputs of the build (tsconfig.build.json): tests and the scenarios' viewer modules. */
const SKIPPED_DIRS = ["tests", "__tests__", "node_modules", "view"];
const SKIPPED_FILES = /\.test\.|\.tsx$|^view\.ts$/;

/** Whether a file of the build's inputs under `dir` changed after `time`. */
function changedSince(dir, time) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.includes(entry.name) && changedSince(path, time)) return true;
    } else if (!SKIPPED_FILES.test(entry.name) && statSync(path).mtimeMs > time) {
      return true;
    }
  }
  return false;
}

function builtIsCurrent() {
  if (process.env.AGORA_FROM_SOURCE === "1" || !existsSync(BUILT)) return false;
  // The installed package ships the build only.
  if (process.env.AGORA_FROM_SOURCE === "0" || !existsSync(SOURCE)) return true;
  const stamp = statSync(join(ROOT, "dist", ".build-stamp"), { throwIfNoEntry: false });
  if (!stamp) return false;
  const inputs = ["sim", "agents", "scenarios"];
  return !inputs.some((dir) => changedSince(join(ROOT, dir), stamp.mtimeMs));
}

if (builtIsCurrent()) {
  await import(new URL("../dist/sim/app/cli/main.js", import.meta.url).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("../sim/app/cli/main.ts", import.meta.url).href);
}
