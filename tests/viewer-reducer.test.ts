/**
 * The viewer's pure reducer and timeline (viewer/src/state): batches apply whole or not at all,
 * scrubbing equals a from-scratch replay, lineage and slots, metric series, bounded memory.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgoraEvent, EventOf } from "../sim/core/events.js";
import { initialState, reduce, reduceAll, type ViewerState } from "../viewer/src/state/reducer.js";
import {
  currentAgents,
  filterLog,
  generationSeries,
  roundSeries,
  usageSeries,
} from "../viewer/src/state/selectors.js";
import { Timeline } from "../viewer/src/state/timeline.js";
import { viewFor } from "../viewer/src/scenarios/index.js";
import { currentResources, donorState, resourceLevels } from "../scenarios/donor-game/view.js";

const ROOT = resolve(import.meta.dirname, "..");
let dir: string;
let events: AgoraEvent[];
let metricsRows: Record<string, number>[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "agora-viewer-"));
  execFileSync(
    process.execPath,
    [
      join(ROOT, "bin", "agora.js"),
      "run",
      join(ROOT, "scenarios/donor-game/offline-demo.yaml"),
      "--out",
      dir,
    ],
    { stdio: "pipe" },
  );
  events = readFileSync(join(dir, "events.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as AgoraEvent);
  metricsRows = readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, number>);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Splits events into batches of pseudo-random sizes (deterministic). */
function batches(list: readonly AgoraEvent[], seed: number, max = 40): AgoraEvent[][] {
  const out: AgoraEvent[][] = [];
  let x = seed;
  for (let i = 0; i < list.length;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const n = 1 + (x % max);
    out.push(list.slice(i, i + n));
    i += n;
  }
  return out;
}

/** Every field but the rejection bookkeeping is the very same object. */
function expectUnchanged(before: ViewerState, after: ViewerState): void {
  for (const key of Object.keys(before) as (keyof ViewerState)[]) {
    if (key === "rejectedBatches" || key === "lastRejection") continue;
    expect(after[key], key).toBe(before[key]);
  }
}

describe("viewer reducer: batches", () => {
  it("applies history then live batches in order, whatever the batching", () => {
    expect(events.length).toBeGreaterThan(1000);
    const whole = reduceAll(events);
    let state = reduce(initialState(), events.slice(0, 600)); // history
    for (const batch of batches(events.slice(600), 7)) state = reduce(state, batch); // live
    expect(state.nextSeq).toBe(events.length);
    expect(state.rejectedBatches).toBe(0);
    expect(state).toEqual(whole);
    let oneByOne = initialState();
    for (const event of events) oneByOne = reduce(oneByOne, [event]);
    expect(oneByOne).toEqual(whole);
  });

  it("never mutates the state or the events it is given", () => {
    const before = reduce(initialState(), events.slice(0, 300));
    const frozen = JSON.stringify(before);
    const batch = events.slice(300, 700);
    const batchText = JSON.stringify(batch);
    const after = reduce(before, batch);
    expect(JSON.stringify(before)).toBe(frozen);
    expect(JSON.stringify(batch)).toBe(batchText);
    expect(after).not.toBe(before);
  });

  it("rejects duplicate, gapped and out-of-order batches without any change", () => {
    const state = reduce(initialState(), events.slice(0, 100));
    expect(state.nextSeq).toBe(100);

    const duplicate = reduce(state, events.slice(50, 60));
    expectUnchanged(state, duplicate);
    expect(duplicate.rejectedBatches).toBe(1);
    expect(duplicate.lastRejection).toEqual({ expected: 100, got: 50, reason: "duplicate" });

    const sameAgain = reduce(state, events.slice(0, 100));
    expectUnchanged(state, sameAgain);
    expect(sameAgain.lastRejection?.reason).toBe("duplicate");

    const gap = reduce(state, events.slice(101, 120));
    expectUnchanged(state, gap);
    expect(gap.lastRejection).toEqual({ expected: 100, got: 101, reason: "gap" });

    const swapped = reduce(state, [events[100]!, events[102]!, events[101]!]);
    expectUnchanged(state, swapped);
    expect(swapped.lastRejection?.reason).toBe("out-of-order");

    const repeated = reduce(state, [events[100]!, events[100]!]);
    expectUnchanged(state, repeated);
    expect(repeated.lastRejection?.reason).toBe("out-of-order");

    // The rejections accumulate and the next in-order batch still applies.
    const next = reduce(reduce(gap, events.slice(50, 60)), events.slice(100, 200));
    expect(next.rejectedBatches).toBe(2);
    expect(next.nextSeq).toBe(200);
    expect({ ...next, rejectedBatches: 0, lastRejection: null }).toEqual(
      reduceAll(events.slice(0, 200)),
    );
  });

  it("rejects a batch straddling already-applied seqs instead of applying its new part", () => {
    const state = reduce(initialState(), events.slice(0, 100));
    const straddle = reduce(state, events.slice(90, 130));
    expectUnchanged(state, straddle);
    expect(straddle.nextSeq).toBe(100);
    expect(straddle.lastRejection).toEqual({ expected: 100, got: 90, reason: "straddle" });
  });

  it("an empty batch is a no-op", () => {
    const state = reduce(initialState(), events.slice(0, 10));
    expect(reduce(state, [])).toBe(state);
  });
});

describe("viewer timeline: scrubbing", () => {
  it("the state scrubbed to seq k equals reducing events 0..k from scratch", () => {
    for (const options of [
      {},
      { snapshotEvery: 97, minSnapshotGap: 10 },
      { snapshotEvery: 1000, minSnapshotGap: 1000 },
    ]) {
      const timeline = new Timeline(options);
      for (const batch of batches(events, 3, 60)) timeline.append(batch);
      expect(timeline.head).toEqual(reduceAll(events));
      expect(timeline.snapshotCount).toBeGreaterThan(1);
      const ks = [
        0,
        1,
        12,
        13,
        181,
        182,
        183,
        500,
        777,
        1000,
        1234,
        events.length - 2,
        events.length - 1,
      ];
      for (let x = 11; ks.length < 30; x = (x * 7919) % events.length) ks.push(x);
      for (const k of ks)
        expect(timeline.stateAt(k), `seq ${k}`).toEqual(reduceAll(events.slice(0, k + 1)));
    }
  });

  it("keeps receiving while scrubbed: earlier states stay what they were", () => {
    const timeline = new Timeline({ snapshotEvery: 200 });
    timeline.append(events.slice(0, 900));
    const at500 = timeline.stateAt(500);
    timeline.append(events.slice(900));
    expect(timeline.stateAt(500)).toEqual(at500);
    expect(timeline.headSeq).toBe(events.length - 1);
    expect(timeline.stateAt(events.length + 10)).toBe(timeline.head);
  });

  it("a rejected batch does not enter the history", () => {
    const timeline = new Timeline();
    timeline.append(events.slice(0, 100));
    timeline.append(events.slice(90, 130));
    expect(timeline.head.nextSeq).toBe(100);
    expect(timeline.retainedEvents).toBe(100);
    timeline.append(events.slice(100));
    expect(timeline.stateAt(400)).toEqual(reduceAll(events.slice(0, 401)));
  });

  it("generation ticks sit on generation-ended events", () => {
    const timeline = new Timeline();
    timeline.append(events);
    const ticks = timeline.generationTicks();
    expect(ticks.map((t) => t.generation)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const tick of ticks) expect(events[tick.seq]!.type).toBe("generation-ended");
  });
});

describe("viewer state: agents, lineage, metrics", () => {
  it("maps newborns to the slot of the agent they replace and records lineage", () => {
    const state = reduceAll(events);
    const created = events.filter((e): e is EventOf<"agent-created"> => e.type === "agent-created");
    const ends = events.filter(
      (e): e is EventOf<"generation-ended"> => e.type === "generation-ended",
    );
    // The slots are the first generation's ids, whatever form run-started records the graph in.
    expect(state.slots).toEqual(
      created.filter((e) => e.agent.generation === 1).map((e) => e.agent.id),
    );

    // Walk generation 1 -> 2 by hand.
    const firstEnd = ends[0]!;
    const afterBirths = reduceAll(
      events.slice(0, created.filter((c) => c.agent.generation === 2).at(-1)!.seq + 1),
    );
    for (const id of firstEnd.created) {
      const child = afterBirths.agents[id]!;
      expect(child.known).toBe(true);
      expect(afterBirths.slotAgent[child.slot!]).toBe(id);
      // The slot belonged to a removed agent, which is now out of the graph but still inspectable.
      const replaced = reduceAll(events.slice(0, firstEnd.seq + 1)).slotAgent[child.slot!]!;
      expect(firstEnd.removed).toContain(replaced);
      expect(afterBirths.agents[replaced]!.removedAfter).toBe(1);
      expect(afterBirths.deadAgents).toContain(replaced);
      for (const parent of child.parents) {
        expect(firstEnd.survivors).toContain(parent);
        expect(afterBirths.agents[parent]!.children).toContain(id);
      }
    }

    // At the end: every slot holds the last agent created in it; scores per generation.
    const lastInSlot = new Map<string, string>();
    for (const c of created) lastInSlot.set(c.agent.slot, c.agent.id);
    expect(state.slotAgent).toEqual(Object.fromEntries(lastInSlot));
    expect(currentAgents(state).map((a) => a.slot)).toEqual(state.slots);
    for (const end of ends)
      for (const [id, score] of Object.entries(end.scores))
        expect(state.agents[id]!.scores[end.t.generation]).toBe(score);
    const policyAgent = state.agents["g1-a1"]!;
    expect(policyAgent.mind?.kind).toBe("policy");
    expect(policyAgent.strategy).toMatch(/^My strategy will be/);
  });

  it("tracks resources per game from interactions (the Donor Game view's derived state) and falls back to the endowment", () => {
    const view = viewFor("donor-game");
    const firstDonation = events.find(
      (e): e is EventOf<"interaction"> => e.type === "interaction" && e.kind === "donation",
    )!;
    const state = reduceAll(events.slice(0, firstDonation.seq + 1));
    const donor = state.agents[firstDonation.from]!;
    expect(resourceLevels(state, donor.id)[firstDonation.t.game!]).toBe(
      firstDonation.data.donorAfter,
    );
    expect(resourceLevels(state, firstDonation.to!)[firstDonation.t.game!]).toBe(
      firstDonation.data.recipientAfter,
    );
    const idle = currentAgents(state).find((a) => a.given.length === 0 && a.received.length === 0)!;
    expect(currentResources(state, idle)).toBe(10);
    // The same through the view's measures (the agents table and the graph's default size).
    expect(view.agentMeasures!(state).map((m) => [m.id, m.value(idle, state)])).toEqual([
      ["resources", 10],
      ["score", null],
      ["giving", null],
    ]);
    // A new generation starts everyone from the endowment again; the levels hold one generation
    // only.
    const end = reduceAll(events);
    expect(donorState(end).generation).toBe(10);
    const playing = new Set(Object.values(end.slotAgent));
    expect(Object.keys(donorState(end).levels).length).toBe(playing.size);
    expect(Object.keys(donorState(end).levels).every((id) => playing.has(id))).toBe(true);
    expect(donor.given.at(-1)?.seq).toBe(firstDonation.seq);
    expect(view.describeInteraction(donor.given.at(-1)!)).toMatch(/^gave 5\.00 \(50%\) to g1-a11;/);
  });

  it("builds per-generation and per-round metric series", () => {
    const state = reduceAll(events);
    expect(state.generationMetrics.map((r) => r.generation)).toEqual(
      metricsRows.map((r) => r.generation),
    );
    const [x, avg, frac] = generationSeries(state, ["avgFinalResources", "avgDonationFraction"]);
    expect(x).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(avg).toEqual(metricsRows.map((r) => r.avgFinalResources));
    expect(frac).toEqual(metricsRows.map((r) => r.avgDonationFraction));

    // Round metrics hold the latest generation only: 12 rounds x 2 games.
    expect(state.roundGeneration).toBe(10);
    expect(state.roundMetrics).toHaveLength(24);
    const { series, data, xLabel, seriesLabel } = roundSeries(state, "avgDonationFraction");
    expect(series).toEqual([1, 2]);
    expect([xLabel, seriesLabel(2)]).toEqual(["round", "game 2"]);
    expect(data[0]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const lastRound = events
      .filter(
        (e): e is EventOf<"metric"> =>
          e.type === "metric" && e.scope === "round" && e.t.generation === 10 && e.t.game === 2,
      )
      .at(-1)!;
    expect(data[2]![11]).toBe(lastRound.values.avgDonationFraction);

    // Mid-run: the round series belongs to the generation being played.
    const midGen3 = events.find(
      (e) => e.t.generation === 3 && e.type === "metric" && e.t.round === 5,
    )!;
    const mid = reduceAll(events.slice(0, midGen3.seq + 1));
    expect(mid.roundGeneration).toBe(3);
    expect(mid.roundMetrics.every((r) => r.x <= 5 && r.t.round === r.x)).toBe(true);

    expect(state.phase).toBe("completed");
    expect(state.interactionCounts).toEqual({ donation: 1440 });
    expect(state.llm.calls).toBe(0);
    expect(usageSeries(state)[0]).toEqual([]);
  });

  it("filters the log by agent, type and generation", () => {
    const state = reduceAll(events);
    const rows = filterLog(
      state.log,
      { agent: "g10-a1", type: "interaction:donation", generation: "10" },
      50,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(50);
    for (const e of rows) {
      expect(
        e.type === "interaction" &&
          e.kind === "donation" &&
          (e.from === "g10-a1" || e.to === "g10-a1") &&
          e.t.generation === 10,
      ).toBe(true);
    }
    expect(rows[0]!.seq).toBeGreaterThan(rows.at(-1)!.seq);
  });

  it("keeps strategy revisions, LLM calls (truncated and failed ones counted), transcripts, parse failures and the run's end", () => {
    const t = { generation: 1 };
    const at = "2026-01-01T00:00:00.000Z";
    const mind = { kind: "llm" as const, name: "gpt", model: "gpt-x" };
    const synthetic: AgoraEvent[] = [
      {
        v: 1,
        seq: 0,
        type: "run-started",
        t,
        at,
        runId: "r",
        scenario: "donor-game",
        seed: 1,
        configHash: "h",
        config: {},
        graph: {
          nodes: [{ key: "g1-a1" }, { key: "g1-a2" }],
          edges: [{ source: "g1-a1", target: "g1-a2" }],
        },
        graphStats: {},
        agoraVersion: "0",
      },
      {
        v: 1,
        seq: 1,
        type: "llm-call",
        t,
        at,
        agentId: "g1-a1",
        purpose: "strategy",
        profile: "gpt",
        model: "gpt-x",
        promptHash: "p",
        tokensIn: 100,
        tokensOut: 20,
        cost: 0.5,
        cached: false,
        latencyMs: 3,
        attempts: 1,
        finishReason: "length",
        messages: [{ role: "user", content: "hi" }],
        response: "My strategy will be to give.",
      },
      {
        v: 1,
        seq: 2,
        type: "agent-created",
        t,
        at,
        agent: {
          id: "g1-a1",
          generation: 1,
          parents: [],
          mind,
          strategy: "give",
          reasoning: "why",
          slot: "g1-a1",
        },
      },
      {
        v: 1,
        seq: 3,
        type: "parse-failure",
        t,
        at,
        agentId: "g1-a1",
        purpose: "donation",
        attempt: 1,
        reason: "no number",
        answer: "hmm",
      },
      {
        v: 1,
        seq: 4,
        type: "llm-call",
        t: { generation: 2 },
        at,
        agentId: "g1-a1",
        purpose: "strategy",
        profile: "gpt",
        model: "gpt-x",
        promptHash: "q",
        tokensIn: 10,
        tokensOut: 2,
        cost: null,
        cached: true,
        latencyMs: 0,
        attempts: 1,
        finishReason: null,
        failure: { kind: "context-exceeded", message: "too long", sent: true },
      },
      {
        v: 1,
        seq: 5,
        type: "interaction",
        t: { generation: 2 },
        at,
        kind: "strategy-revised",
        from: "g1-a1",
        to: null,
        mind,
        data: { strategy: "give more", reasoning: "it paid" },
      },
      { v: 1, seq: 6, type: "warning", t: { generation: 2 }, at, message: "careful" },
      {
        v: 1,
        seq: 7,
        type: "run-ended",
        t: { generation: 2 },
        at,
        status: "failed",
        error: "boom",
      },
    ];
    const state = reduceAll(synthetic);
    const agent = state.agents["g1-a1"]!;
    expect(agent.strategy).toBe("give more");
    expect(agent.reasoning).toBe("it paid");
    expect(agent.revisions).toBe(1);
    expect(agent.given).toEqual([]);
    expect(agent.transcript.map((e) => e.type)).toEqual(["llm-call", "parse-failure", "llm-call"]);
    expect(agent.transcript[0]!.response).toBe("My strategy will be to give.");
    expect(agent.llm).toEqual({ calls: 2, tokensIn: 110, tokensOut: 22, cost: 0.5 });
    expect(state.llm).toEqual({
      calls: 2,
      cachedCalls: 1,
      tokensIn: 110,
      tokensOut: 22,
      cost: 0.5,
      unpricedCalls: 1,
      parseFailures: 1,
      truncated: 1,
      contextExceeded: 1,
    });
    expect(agent.transcript.map((e) => [e.finishReason, e.failure])).toEqual([
      ["length", undefined],
      [undefined, undefined],
      [null, "too long"],
    ]);
    expect(state.llmByGeneration).toEqual([
      { generation: 1, calls: 1, tokensIn: 100, tokensOut: 20, cost: 0.5 },
      { generation: 2, calls: 1, tokensIn: 10, tokensOut: 2, cost: 0 },
    ]);
    expect(usageSeries(state)).toEqual([
      [1, 2],
      [1, 1],
      [120, 12],
      [0.5, 0.5],
    ]);
    expect(state.warnings).toEqual([{ seq: 6, message: "careful" }]);
    expect(state.phase).toBe("failed");
    expect(state.error).toBe("boom");
  });
});

describe("viewer state: bounded memory", () => {
  /** 100k synthetic events: 50 slots, a new generation every 500 events replacing half of them. */
  function* synthetic(count: number): Generator<AgoraEvent> {
    const at = "2026-01-01T00:00:00.000Z";
    const slots = Array.from({ length: 50 }, (_, i) => `g1-a${i + 1}`);
    const occupant = new Map(slots.map((s) => [s, s]));
    const mind = { kind: "llm" as const, name: "m", model: "m" };
    let seq = 0;
    let generation = 1;
    yield {
      v: 1,
      seq: seq++,
      type: "run-started",
      t: { generation },
      at,
      runId: "big",
      scenario: "donor-game",
      seed: 1,
      configHash: "h",
      config: { donorGame: { endowment: 10 } },
      graph: { nodes: slots.map((key) => ({ key })), edges: [] },
      graphStats: {},
      agoraVersion: "0",
    };
    for (const slot of slots)
      yield {
        v: 1,
        seq: seq++,
        type: "agent-created",
        t: { generation },
        at,
        agent: { id: slot, generation, parents: [], mind, strategy: "s", reasoning: "r", slot },
      };
    while (seq < count) {
      const t = { generation, game: 1, round: 1 };
      const i = seq % 50;
      const from = occupant.get(slots[i]!)!;
      const to = occupant.get(slots[(i + 1) % 50]!)!;
      if (seq % 3 === 0) {
        yield {
          v: 1,
          seq: seq++,
          type: "llm-call",
          t,
          at,
          agentId: from,
          purpose: "donation",
          profile: "m",
          model: "m",
          promptHash: "x",
          tokensIn: 5,
          tokensOut: 1,
          cost: 0.001,
          cached: false,
          latencyMs: 1,
          attempts: 1,
          finishReason: "stop",
          messages: [{ role: "user", content: "q" }],
          response: "a",
        };
      } else if (seq % 500 === 499) {
        const removed = slots.filter((_, k) => k % 2 === 0).map((s) => occupant.get(s)!);
        const survivors = slots.filter((_, k) => k % 2 === 1).map((s) => occupant.get(s)!);
        const created = removed.map((_, k) => `g${generation + 1}-a${k + 1}`);
        yield {
          v: 1,
          seq: seq++,
          type: "generation-ended",
          t: { generation },
          at,
          survivors,
          removed,
          created,
          scores: Object.fromEntries([...removed, ...survivors].map((id) => [id, 1])),
        };
        generation++;
        for (let k = 0; k < created.length && seq < count; k++) {
          occupant.set(slots[2 * k]!, created[k]!);
          yield {
            v: 1,
            seq: seq++,
            type: "agent-created",
            t: { generation },
            at,
            agent: {
              id: created[k]!,
              generation,
              parents: [survivors[k]!],
              mind,
              strategy: "s",
              reasoning: "r",
              slot: slots[2 * k]!,
            },
          };
        }
      } else {
        yield {
          v: 1,
          seq: seq++,
          type: "interaction",
          t,
          at,
          kind: "donation",
          from,
          to,
          mind,
          data: { amount: 1, fraction: 0.5, donorAfter: 5, recipientAfter: 12, justification: "j" },
        };
      }
    }
  }

  it("respects every ring size after 100k events, in the reducer and the timeline", () => {
    const timeline = new Timeline({ maxEvents: 20_000 });
    let batch: AgoraEvent[] = [];
    let total = 0;
    for (const event of synthetic(100_000)) {
      batch.push(event);
      if (batch.length === 250) {
        timeline.append(batch);
        total += batch.length;
        batch = [];
      }
    }
    timeline.append(batch);
    total += batch.length;
    const state = timeline.head;
    expect(state.nextSeq).toBe(total);
    expect(state.rejectedBatches).toBe(0);
    const limits = state.limits;
    expect(state.log).toHaveLength(limits.log);
    expect(state.log.at(-1)!.seq).toBe(total - 1);
    expect(state.interactions).toHaveLength(limits.interactions);
    expect(state.deadAgents.length).toBeLessThanOrEqual(limits.deadAgents);
    expect(Object.keys(state.agents).length).toBeLessThanOrEqual(50 + limits.deadAgents);
    // 25 agents die per generation: pruning is exercised
    expect(state.generation).toBeGreaterThan(100);
    for (const agent of Object.values(state.agents)) {
      expect(agent.given.length).toBeLessThanOrEqual(limits.agentInteractions);
      expect(agent.received.length).toBeLessThanOrEqual(limits.agentInteractions);
      expect(agent.transcript.length).toBeLessThanOrEqual(limits.transcript);
    }
    expect(Object.values(state.agents).some((a) => a.transcript.length === limits.transcript)).toBe(
      true,
    );
    expect(timeline.retainedEvents).toBeLessThanOrEqual(20_000);
    expect(timeline.minSeq).toBeGreaterThan(0);
    // The earliest retained state is still exact: reduce the same prefix from scratch.
    const all = [...synthetic(100_000)];
    const k = timeline.minSeq + 123;
    expect(timeline.stateAt(k)).toEqual(reduceAll(all.slice(0, k + 1)));
    expect(timeline.stateAt(0).nextSeq).toBe(timeline.minSeq + 1);
  });
});
