import { Worker } from "node:worker_threads";

/**
 * A worker thread running the module at `entry`. A TypeScript module (the sources, run by tsx or
 * vitest) gets tsx's loader first: a thread does not inherit the loader of the one that starts it.
 */
export function moduleThread(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, { workerData });
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
