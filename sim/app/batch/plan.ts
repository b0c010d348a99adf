import { createHash } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { scenarioLookup } from "../scenarios.js";
import { resolveConfig } from "../../core/config.js";
import { ConfigError, describeValue } from "../../core/errors.js";
import { firstGeneration, socialGraph } from "../population.js";

/** One run of a batch: an ordinary run directory DIR/runs/<id>. */
export interface RunSpec {
  /**
   * The run directory's name under DIR/runs: `<condition slug>__s<seed>`, or the name batch.json
   * already gives the run (a batch made before the names changed; see withRecordedIds).
   */
  id: string;
  /** Grid key -> the value's text, in grid order (empty for a batch without a grid). */
  condition: Record<string, string>;
  /** Human label: `key=value, key=value`, or "baseline" without a grid. */
  conditionLabel: string;
  seed: number;
  /**
   * The config of this run: the batch's config with the condition and the seed set, no `batch`
   * section.
   */
  raw: unknown;
  /** Where the config's relative paths (graph files) resolve from. */
  configDir: string;
}

/** A grid axis: a config key path and its values, in the order given. */
export type GridAxis = [key: string, values: unknown[]];

export const BASELINE = "baseline";

/** Keys a grid may not vary: the seed has --seeds, the batch section is not part of a run. */
const RESERVED_KEYS = new Set(["seed", "batch"]);

/**
 * Seeds from text: `0..31` (inclusive), `1,5,9`, or a mix (`0..3,10`); from a config: a number, a
 * list of numbers, or the same text. Duplicates are dropped, order is kept.
 */
export function parseSeeds(value: unknown, source = "--seeds"): number[] {
  const fail = (): never => {
    throw new ConfigError(
      source,
      value,
      "seeds as A..B (inclusive), a list like 1,5,9, or both (0..3,10): integers >= 0",
    );
  };
  let seeds: number[];
  if (typeof value === "number") seeds = [value];
  else if (Array.isArray(value)) seeds = value.map((v) => (typeof v === "number" ? v : fail()));
  else if (typeof value === "string" && value.trim() !== "") {
    seeds = [];
    for (const part of value.split(",").map((p) => p.trim())) {
      const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(part);
      if (range) {
        const [from, to] = [Number(range[1]), Number(range[2])];
        if (to < from || to - from > 100_000) fail();
        for (let s = from; s <= to; s++) seeds.push(s);
      } else if (/^\d+$/.test(part)) seeds.push(Number(part));
      else fail();
    }
  } else return fail();
  if (seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) fail();
  return [...new Set(seeds)];
}

/**
 * `KEY=V1,V2,...` from the command line; the values are read as a YAML flow list (numbers,
 * booleans, quoted text, [lists]).
 */
export function parseGridFlag(flag: string): GridAxis {
  const eq = flag.indexOf("=");
  const key = eq > 0 ? flag.slice(0, eq).trim() : "";
  const text = eq > 0 ? flag.slice(eq + 1) : "";
  if (!key || text.trim() === "")
    throw new ConfigError(
      "--grid",
      flag,
      "KEY=V1,V2,... (a config key path, then one or more comma-separated values)",
    );
  let values: unknown;
  try {
    values = parseYaml(`[${text}]`);
  } catch (error) {
    throw new ConfigError(
      `--grid ${key}`,
      text,
      `comma-separated YAML values (${(error as Error).message.split("\n")[0]})`,
    );
  }
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => v === null)) {
    throw new ConfigError(
      `--grid ${key}`,
      text,
      "one or more comma-separated values, none of them empty",
    );
  }
  return [key, values];
}

/**
 * The grid of a config's `batch:` section followed by the command line's axes; a command-line key
 * replaces the config's.
 */
export function mergeGrid(
  fromConfig: Record<string, unknown[]> | undefined,
  fromFlags: readonly GridAxis[],
): GridAxis[] {
  const axes = new Map<string, unknown[]>(Object.entries(fromConfig ?? {}));
  const seen = new Set<string>();
  for (const [key, values] of fromFlags) {
    if (seen.has(key))
      throw new ConfigError(
        `--grid ${key}`,
        values,
        "each key once (give all its values in one --grid)",
      );
    seen.add(key);
    axes.set(key, values);
  }
  for (const [key, values] of axes) {
    if (RESERVED_KEYS.has(key.split(".")[0]!))
      throw new ConfigError(
        `--grid ${key}`,
        values,
        key === "seed"
          ? "a key other than seed (use --seeds)"
          : "a config key outside the batch section",
      );
    if (new Set(values.map(valueText)).size !== values.length)
      throw new ConfigError(`--grid ${key}`, values, "distinct values");
  }
  return [...axes];
}

/** A grid value as the run name and the tables show it: text as is, anything else as JSON. */
export function valueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Sets `key` (dot path; numeric segments index into lists) in a deep copy of `raw`. Missing
 * mappings on the way are created; an index past a list's end or a key inside a scalar is an error.
 * A mapping key that itself contains dots (a profile named `gpt-4.1`) is matched whole first.
 */
export function setPath(raw: unknown, key: string, value: unknown): unknown {
  const root = structuredClone(raw) as Record<string, unknown>;
  const segments = key.split(".");
  if (segments.some((s) => s === ""))
    throw new ConfigError(
      `--grid ${key}`,
      value,
      "a key path of non-empty names separated by dots",
    );
  let node: unknown = root;
  let i = 0;
  const here = () => segments.slice(0, i).join(".") || "(root)";
  while (i < segments.length) {
    if (Array.isArray(node)) {
      const index = Number(segments[i]);
      if (!/^\d+$/.test(segments[i]!) || index >= node.length) {
        throw new ConfigError(
          key,
          value,
          `an index below ${node.length} after ${here()} (a list of ${node.length} item(s)), not "${segments[i]}"`,
        );
      }
      if (i === segments.length - 1) node[index] = value;
      else if (node[index] === null || typeof node[index] !== "object")
        throw new ConfigError(
          key,
          value,
          `a path into a mapping or list, but ${here()}.${index} holds ${describeValue(node[index])}`,
        );
      node = node[index];
      i++;
      continue;
    }
    const map = node as Record<string, unknown>;
    // The longest run of segments that names an existing key (keys may contain dots).
    let j = segments.length;
    while (j > i + 1 && !(segments.slice(i, j).join(".") in map)) j--;
    const name = segments.slice(i, j).join(".");
    if (j === segments.length) {
      map[name] = value;
      break;
    }
    if (map[name] === undefined || map[name] === null) map[name] = {};
    if (typeof map[name] !== "object")
      throw new ConfigError(
        key,
        value,
        `a path into a mapping or list, but ${segments.slice(0, j).join(".")} holds ${describeValue(map[name])}`,
      );
    node = map[name];
    i = j;
  }
  return root;
}

const hash8 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 8);

/** What a run name may not hold: anything but letters, digits, `.`, `_`, `-`. */
const UNSAFE = /[^A-Za-z0-9._-]/g;

/**
 * The directory-name form of a condition: `key-value` pairs joined by `+` (or `baseline`). No `=`
 * anywhere, so tools that guess Hive partitions from `key=value` path segments (DuckDB, Spark,
 * Arrow) do not add a column to every file read through `runs/*` (batch README, "Run ids").
 * Characters outside [A-Za-z0-9._-] become `_`; when that changed anything, the name holds `..`
 * (not a run id the server serves; then the first of two dots becomes `_`) or is over 80
 * characters, it is cut to 80 and a `~` and 8 hex digits of the condition's SHA-256 keep names
 * distinct. `+` never occurs inside a pair, so the
 * names of one grid's conditions are distinct without the hash too.
 */
export function conditionSlug(condition: Record<string, string>): string {
  const pairs = Object.entries(condition);
  if (pairs.length === 0) return BASELINE;
  const text = pairs.map(([k, v]) => `${k}-${v}`).join("+");
  const safe = pairs
    .map(([k, v]) => `${k.replace(UNSAFE, "_")}-${v.replace(UNSAFE, "_")}`)
    .join("+");
  if (safe === text && safe.length <= 80 && !safe.includes("..")) return safe;
  return `${safe.slice(0, 80).replace(/\.(?=\.)/g, "_")}~${hash8(JSON.stringify(pairs))}`;
}

export const runId = (condition: Record<string, string>, seed: number): string =>
  `${conditionSlug(condition)}__s${seed}`;

export const conditionLabel = (condition: Record<string, string>): string =>
  Object.entries(condition)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ") || BASELINE;

/**
 * The runs of a batch: every combination of the grid's values (the first axis varies slowest)
 * times every seed, conditions outermost. `raw` is the batch's config (its `batch` section is
 * dropped).
 */
export function planBatch(input: {
  raw: unknown;
  configDir: string;
  grid: readonly GridAxis[];
  seeds: readonly number[];
}): RunSpec[] {
  const { batch: _batch, ...base } = input.raw as Record<string, unknown>;
  let conditions: { condition: Record<string, string>; raw: unknown }[] = [
    { condition: {}, raw: base },
  ];
  for (const [key, values] of input.grid) {
    conditions = conditions.flatMap(({ condition, raw }) =>
      values.map((value) => ({
        condition: { ...condition, [key]: valueText(value) },
        raw: setPath(raw, key, value),
      })),
    );
  }
  return conditions.flatMap(({ condition, raw }) =>
    input.seeds.map((seed) => ({
      id: runId(condition, seed),
      condition,
      conditionLabel: conditionLabel(condition),
      seed,
      raw: setPath(raw, "seed", seed),
      configDir: input.configDir,
    })),
  );
}

/**
 * Resolves every condition's config (with its first seed) and builds its graph, before any run
 * starts: a bad key or value fails the whole batch up front, naming the condition.
 */
export function validatePlan(specs: readonly RunSpec[]): void {
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.conditionLabel)) continue;
    seen.add(spec.conditionLabel);
    try {
      const loaded = resolveConfig(spec.raw, scenarioLookup(spec.configDir), {}, spec.configDir);
      socialGraph(loaded, firstGeneration(loaded));
    } catch (error) {
      const where =
        spec.conditionLabel === BASELINE ? "" : ` (in condition ${spec.conditionLabel})`;
      if (error instanceof ConfigError)
        throw new ConfigError(error.path, error.value, `${error.expected}${where}`);
      throw new ConfigError(
        BASELINE === spec.conditionLabel ? "(config)" : spec.conditionLabel,
        spec.condition,
        `a config that builds: ${(error as Error).message}`,
      );
    }
  }
}
