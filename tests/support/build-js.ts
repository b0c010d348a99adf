/**
 * Vitest global setup: the tests start the CLI as users do (`node bin/agora.js`), which runs the
 * build in dist/, so the build is brought up to date first. `node bin/build.js` is incremental
 * (tsc --build): with nothing changed it takes a fraction of a second. Type errors do not stop the
 * tests (`npm test` type-checks before them). The viewer is built too when it never was (`npm test`
 * builds it before vitest; this covers `npx vitest` in a checkout without viewer/dist).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function run(args: string[], what: string): void {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) {
    const exit = result.status ?? result.signal;
    throw new Error(`${what} failed (exit ${exit}); see its output above`);
  }
}

export default function setup(): void {
  run([join(ROOT, "bin", "build.js"), "--allow-type-errors"], "node bin/build.js");
  if (!existsSync(join(ROOT, "viewer", "dist", "index.html"))) {
    const vite = join(ROOT, "node_modules", "vite", "bin", "vite.js");
    run([vite, "build", "--config", "viewer/vite.config.ts"], "the viewer build");
  }
}
