import { Worker } from "node:worker_threads";

/**
 * A worker thread running the module `module` (a path without extension, relative to `from`, the
 * caller's import.meta.url). Run from the sources (tsx or vitest) it is the .ts file, with tsx's
 * loader registered first: a thread does not inherit the loader of the one that starts it. Run from
 * the build it is the .js file.
 */
export function moduleThread(module: string, from: string, workerData: unknown): Worker {
  const fromSource = from.endsWith(".ts");
  const entry = new URL(`${module}.${fromSource ? "ts" : "js"}`, from);
  if (!fromSource) return new Worker(entry, { workerData });
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
