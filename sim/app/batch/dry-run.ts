import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StandIn } from "../../../agents/mind-runtime.js";
import { preloadScenario, scenarioLookup } from "../scenarios.js";
import { resolveConfig } from "../../core/config.js";
import type { EventOf } from "../../core/events.js";
import type { Profile } from "../../core/profile.js";
import { readJsonLines } from "../../core/recorder.js";
import { startRunFrom } from "../run.js";
import { readBatchFile, withRecordedIds } from "./batch-file.js";
import { setPath, type RunSpec } from "./plan.js";
import { readRunManifest, runDirOf } from "./rows.js";
import type { BatchPlan } from "./runner.js";

export interface Usage {
  calls: number;
  tokensIn: number;
  tokensOut: number;
  /** Null when none of the calls was priced. */
  cost: number | null;
}

export interface ProfileUsage extends Usage {
  profile: string;
  model: string;
  price: Profile["price"] | null;
}

export interface ConditionEstimate {
  condition: string;
  /** The seed whose run was probed. */
  seed: number;
  /**
   * `policy`: no LLM mind; `cache`: LLM minds answered from the cache in replay mode (exact);
   * `stand-in`: the cache lacked answers, so a scenario policy answered for the LLM minds (calls
   * counted, tokens estimated).
   */
  probe: "policy" | "cache" | "stand-in";
  /** The policy that stood in, for a `stand-in` probe. */
  standIn: string | null;
  /** False when the probe stopped early: its figures are then a lower bound. */
  complete: boolean;
  note: string | null;
  perRun: ProfileUsage[];
  runs: number;
  /** Runs of this condition not yet completed in the batch directory. */
  remainingRuns: number;
}

export interface BatchEstimate {
  conditions: ConditionEstimate[];
  /** Per profile, over every run of the batch / over the runs not yet completed. */
  total: ProfileUsage[];
  remaining: ProfileUsage[];
  complete: boolean;
}

const addCost = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : a + b;

function addUsage(into: Map<string, ProfileUsage>, usage: ProfileUsage, times: number): void {
  const entry = into.get(usage.profile) ?? {
    ...usage,
    calls: 0,
    tokensIn: 0,
    tokensOut: 0,
    cost: null,
  };
  entry.calls += usage.calls * times;
  entry.tokensIn += usage.tokensIn * times;
  entry.tokensOut += usage.tokensOut * times;
  entry.cost = addCost(entry.cost, usage.cost === null ? null : usage.cost * times);
  into.set(usage.profile, entry);
}

type Probe = Omit<ConditionEstimate, "runs" | "remainingRuns">;

/**
 * The scenario's first policy that needs no parameters: it answers for the LLM minds in a stand-in
 * probe.
 */
function standInPolicy(loaded: ReturnType<typeof resolveConfig>): StandIn | null {
  for (const [policy, definition] of Object.entries(loaded.scenario.policies)) {
    const params = definition.paramsSchema.safeParse({});
    if (params.success) return { policy, params: params.data };
  }
  return null;
}

/**
 * One run per condition (its first seed) in a temporary directory, nothing sent anywhere: LLM
 * minds answered only from the response cache (replay); when the cache lacks answers, again with
 * a scenario policy answering for them. Its calls and tokens per profile, times the condition's
 * number of runs, estimate the batch.
 */
async function probe(spec: RunSpec): Promise<Probe> {
  await preloadScenario(spec.raw, spec.configDir);
  const loaded = resolveConfig(spec.raw, scenarioLookup(spec.configDir), {}, spec.configDir);
  const raw = setPath(spec.raw, "llm.transcripts", false);
  if (!loaded.minds.some((m) => m.kind === "llm")) return probeRun(spec, raw, loaded, "policy");
  const replayed = await probeRun(spec, setPath(raw, "cache.mode", "replay"), loaded, "cache");
  const standIn = standInPolicy(loaded);
  if (replayed.complete || !standIn) return replayed;
  return probeRun(spec, setPath(raw, "cache.mode", "off"), loaded, "stand-in", standIn);
}

async function probeRun(
  spec: RunSpec,
  raw: unknown,
  loaded: ReturnType<typeof resolveConfig>,
  kind: Probe["probe"],
  standIn?: StandIn,
): Promise<Probe> {
  const tmp = mkdtempSync(join(tmpdir(), "agora-dry-run-"));
  try {
    const result = await startRunFrom(raw, spec.configDir, {
      out: join(tmp, "run"),
      ...(standIn ? { standIn } : {}),
    });
    const calls = readJsonLines<EventOf<"llm-call">>(join(tmp, "run", "events.jsonl")).filter(
      (e) => e.type === "llm-call",
    );
    const byProfile = new Map<string, ProfileUsage>();
    for (const call of calls) {
      const profile = loaded.profiles[call.profile];
      addUsage(
        byProfile,
        {
          profile: call.profile,
          model: call.model,
          price: profile?.price ?? null,
          calls: 1,
          tokensIn: call.tokensIn,
          tokensOut: call.tokensOut,
          cost: call.cost,
        },
        1,
      );
    }
    const complete = result.status === "completed";
    const generations = loaded.config.generations;
    return {
      condition: spec.conditionLabel,
      seed: spec.seed,
      probe: kind,
      standIn: standIn?.policy ?? null,
      complete,
      note: complete
        ? null
        : `the probe stopped (${result.status}) after ${calls.length} call(s) in generation ${result.manifest.generationsCompleted + 1} of ${generations}: ${result.error ?? ""}`,
      perRun: [...byProfile.values()],
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Estimates the whole batch, and what is left of it in `batchDir`, before any money is spent. */
export async function estimateBatch(plan: BatchPlan, batchDir: string): Promise<BatchEstimate> {
  const conditions: ConditionEstimate[] = [];
  const total = new Map<string, ProfileUsage>();
  const remaining = new Map<string, ProfileUsage>();
  const planned = withRecordedIds(plan.specs, readBatchFile(batchDir));
  for (const label of [...new Set(planned.map((s) => s.conditionLabel))]) {
    const specs = planned.filter((s) => s.conditionLabel === label);
    const left = specs.filter(
      (s) => readRunManifest(runDirOf(batchDir, s.id))?.status !== "completed",
    ).length;
    const estimate = { ...(await probe(specs[0]!)), runs: specs.length, remainingRuns: left };
    conditions.push(estimate);
    for (const usage of estimate.perRun) {
      addUsage(total, usage, specs.length);
      addUsage(remaining, usage, left);
    }
  }
  return {
    conditions,
    total: [...total.values()],
    remaining: [...remaining.values()],
    complete: conditions.every((c) => c.complete),
  };
}

const money = (cost: number | null) => (cost === null ? "n/a (no price)" : `$${cost.toFixed(4)}`);

function sumUsage(usages: readonly ProfileUsage[]): Usage {
  return usages.reduce<Usage>(
    (a, u) => ({
      calls: a.calls + u.calls,
      tokensIn: a.tokensIn + u.tokensIn,
      tokensOut: a.tokensOut + u.tokensOut,
      cost: addCost(a.cost, u.cost),
    }),
    { calls: 0, tokensIn: 0, tokensOut: 0, cost: null },
  );
}

const usageText = (u: Usage) =>
  `${u.calls} call(s), ${u.tokensIn} tokens in, ${u.tokensOut} tokens out, ${u.calls === 0 ? "$0" : money(u.cost)}`;

/** The estimate as `agora batch --dry-run` prints it. */
export function formatEstimate(estimate: BatchEstimate, plan: BatchPlan): string {
  const lines: string[] = [];
  const bound = estimate.complete ? "" : "at least ";
  lines.push(
    `dry run: ${estimate.conditions.length} condition(s) x ${plan.seeds.length} seed(s) = ${plan.specs.length} run(s); nothing was sent to any endpoint`,
  );
  lines.push(
    "estimate: one run per condition (its first seed), LLM minds answered only from the response cache (replay) or, where it lacks answers, by a policy standing in; its use times the condition's runs",
  );
  for (const c of estimate.conditions) {
    const per = sumUsage(c.perRun);
    const how =
      c.probe === "policy"
        ? "policy minds only: no LLM calls"
        : c.probe === "cache"
          ? "from the cache"
          : `policy ${c.standIn} standing in for the LLM minds`;
    lines.push(
      `  ${c.condition} (seed ${c.seed}, ${how}): per run ${c.complete ? "" : "at least "}${usageText(per)}; ${c.runs} run(s), ${c.remainingRuns} not completed`,
    );
    if (c.note) lines.push(`    incomplete: ${c.note}`);
  }
  lines.push("per profile, whole batch:");
  if (estimate.total.length === 0) lines.push("  no LLM calls");
  for (const p of estimate.total) {
    const price = p.price ? `$${p.price.input}/$${p.price.output} per M tokens in/out` : "no price";
    lines.push(`  ${p.profile} (${p.model}, ${price}): ${bound}${usageText(p)}`);
  }
  lines.push(`whole batch: ${bound}${usageText(sumUsage(estimate.total))}`);
  lines.push(
    `still to run (runs not completed; their finished generations would come from the cache): ${bound}${usageText(sumUsage(estimate.remaining))}`,
  );
  if (estimate.conditions.some((c) => c.probe === "stand-in")) {
    lines.push(
      "stand-in estimates are rough: calls follow the policy's answers (an LLM may be re-asked or end debates differently), tokens in are prompt characters / 4 " +
        "(later prompts quote earlier answers, which a policy keeps short), tokens out are the profile's maxTokens per call (an upper bound) or, without it, the policy's reply length (a lower bound). " +
        "For exact figures fill the cache with one seed per condition (e.g. --seeds 0 with a --max-calls cap) and estimate again",
    );
  }
  if (!estimate.complete) lines.push("some probes stopped early: their figures are lower bounds");
  return lines.join("\n");
}
