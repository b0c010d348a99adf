import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError, UsageError } from "../core/errors.js";
import { scenarioProblem, type AnyScenario } from "../core/scenario.js";

/**
 * Finds and loads scenarios for the application (CLI, runs, batch, workers, report): a config's
 * `scenario:` is a built-in id (a folder of the package's scenarios/ with an index module), a
 * module path (relative to the config's folder) or a package name. The core never imports one.
 */

/** The package's own scenarios: beside sim/ in the source tree and in the built package alike. */
const BUILTIN_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));
const ENTRY_NAMES = ["index.ts", "index.js", "index.mts", "index.mjs"];
const TYPESCRIPT = /\.(?:ts|mts|tsx)$/;

function entryIn(dir: string): string | undefined {
  return ENTRY_NAMES.map((name) => join(dir, name)).find((path) => existsSync(path));
}

/** Ids of the built-in scenarios, from the folders that have an index module. */
export function builtinIds(): string[] {
  return readdirSync(BUILTIN_DIR)
    .filter(
      (name) =>
        statSync(join(BUILTIN_DIR, name)).isDirectory() &&
        entryIn(join(BUILTIN_DIR, name)) !== undefined,
    )
    .sort();
}

/** A scenario module that cannot be loaded or is no scenario: bad input, exit 2. */
export class ScenarioLoadError extends UsageError {
  constructor(ref: string, problem: string) {
    super(`scenario "${ref}": ${problem}`);
    this.name = "ScenarioLoadError";
  }
}

/** The module file a `scenario:` reference names, resolved without loading it. */
export function resolveScenarioModule(ref: string, baseDir: string): string {
  if (/^[a-z][a-z0-9-]*$/.test(ref)) {
    const builtin = entryIn(join(BUILTIN_DIR, ref));
    if (builtin) return builtin;
  }
  if (ref.startsWith(".") || isAbsolute(ref)) {
    const path = resolve(baseDir, ref);
    if (!existsSync(path))
      throw new ConfigError("scenario", ref, `a scenario module or folder (nothing at ${path})`);
    if (!statSync(path).isDirectory()) return path;
    const entry = entryIn(path);
    if (!entry)
      throw new ConfigError(
        "scenario",
        ref,
        `a scenario folder with an ${ENTRY_NAMES.join(" / ")} (${path} has none)`,
      );
    return entry;
  }
  try {
    return createRequire(join(baseDir, "noop.js")).resolve(ref);
  } catch {
    throw new ConfigError(
      "scenario",
      ref,
      `a built-in scenario (${builtinIds().join(", ")}), a module path (starting with ./ or /) or an installed package`,
    );
  }
}

let typescriptLoader: Promise<void> | undefined;

/** A scenario written in TypeScript loads through tsx (registered once, only when needed). */
function loadTypeScript(): Promise<void> {
  typescriptLoader ??= import("tsx/esm/api").then(({ register }) => void register());
  return typescriptLoader;
}

const loaded = new Map<string, AnyScenario>();

/** Loads (once per module) the scenario that `ref` names, checking it is one. */
export async function loadScenario(ref: string, baseDir: string): Promise<AnyScenario> {
  const path = resolveScenarioModule(ref, baseDir);
  const known = loaded.get(path);
  if (known) return known;
  if (TYPESCRIPT.test(path) && !import.meta.url.endsWith(".ts")) await loadTypeScript();
  const module = (await import(pathToFileURL(path).href).catch((error: unknown) => {
    throw new ScenarioLoadError(
      ref,
      `${path} could not be loaded: ${(error as Error).message}${moduleHint(error)}`,
    );
  })) as { default?: unknown; scenario?: unknown };
  const scenario = module.default ?? module.scenario;
  const problem =
    scenario === undefined ? "the module has no default export" : scenarioProblem(scenario);
  if (problem)
    throw new ScenarioLoadError(
      ref,
      `${path} does not export a scenario made with defineScenario: ${problem}`,
    );
  loaded.set(path, scenario as AnyScenario);
  return scenario as AnyScenario;
}

/** What usually fixes a module that Node read as CommonJS. */
function moduleHint(error: unknown): string {
  const message = (error as Error).message ?? "";
  return /require\(\) ES Module|ERR_REQUIRE|Cannot use import statement|exports is not defined/.test(
    message,
  )
    ? ' (an ES module scenario needs a package.json beside it, or above it, with "type": "module")'
    : "";
}

/**
 * The scenarios a config may name, for resolveConfig: those already loaded (await
 * `loadScenario` first), looked up by reference from `baseDir`.
 */
export function scenarioLookup(baseDir: string): (ref: string) => AnyScenario | undefined {
  return (ref) => {
    try {
      return loaded.get(resolveScenarioModule(ref, baseDir));
    } catch {
      return undefined;
    }
  };
}

/**
 * Loads the scenario a raw config names (if it names one), so sync code can look it up; an unknown
 * one is a ConfigError.
 */
export async function preloadScenario(raw: unknown, baseDir: string): Promise<void> {
  const ref = (raw as { scenario?: unknown } | null)?.scenario;
  if (typeof ref === "string") await loadScenario(ref, baseDir);
}

/** Every built-in scenario by id (tests, tools). */
export async function builtinScenarios(): Promise<Record<string, AnyScenario>> {
  const entries = await Promise.all(
    builtinIds().map(async (id) => [id, await loadScenario(id, dirname(BUILTIN_DIR))] as const),
  );
  return Object.fromEntries(entries);
}
