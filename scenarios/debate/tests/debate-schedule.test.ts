/**
 * The debate's schedule against the local fake OpenAI server: every question advances on its own,
 * so with enough concurrency a generation takes its rounds' worth of model latencies (N-agent) or
 * its turns' worth (MAD), however many questions it has; and the events do not depend on timing.
 *
 * The server holds each request until a whole wave is pending (every question's next call) and
 * then answers them together: a schedule that asks one question at a time can never fill a wave.
 * So that such a schedule fails with the waves it made rather than hanging, a wave left unfilled
 * is let through after a while and marked as partial; no assertion depends on how long anything
 * takes.
 */
import { describe, expect, it } from "vitest";
import { type AgoraEvent, stableView } from "../../../sim/core/events.js";
import {
  type DebatePlan,
  debateModel,
  debateWorkspace,
  runDebate,
} from "../../../tests/support/debate-helpers.js";
import type { Script } from "../../../tests/support/fake-openai.js";

const workspace = debateWorkspace();

/** Lets an unfilled wave through (only a schedule that cannot fill it waits this long). */
const PARTIAL_AFTER_MS = 3_000;
/** The profile's request timeout: well above a held request's wait. */
const held = { timeoutMs: 60_000 };

interface Wave {
  size: number;
  full: boolean;
}

/** `model`'s replies, each held until `width` requests are pending: the waves it let through. */
function inWaves(model: Script, width: number): { script: Script; waves: Wave[] } {
  const waves: Wave[] = [];
  const pending: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const release = (full: boolean) => {
    clearTimeout(timer);
    waves.push({ size: pending.length, full });
    for (const resolve of pending.splice(0)) resolve();
  };
  const script: Script = async (req, index) => {
    await new Promise<void>((resolve) => {
      pending.push(resolve);
      if (pending.length === width) release(true);
      else if (pending.length === 1) timer = setTimeout(() => release(false), PARTIAL_AFTER_MS);
    });
    return model(req, index);
  };
  return { script, waves };
}

/** The same replies, each after a delay that differs by request: another interleaving. */
const jittered =
  (model: Script): Script =>
  async (req, index) => {
    const content = await model(req, index);
    const text = typeof content === "string" ? content : "";
    const key = [...JSON.stringify(req.messages)].reduce(
      (h, c) => (h * 31 + c.charCodeAt(0)) | 0,
      7,
    );
    return { content: text, delayMs: Math.abs(key) % 40 };
  };

/** A run's events as a replay compares them, without run-started (it names the endpoint). */
const content = (events: readonly AgoraEvent[]) =>
  events.filter((e) => e.type !== "run-started").map((e) => JSON.stringify(stableView(e)));

/** Everyone right but g1-a1, who is wrong until it hears the others. */
const plan: DebatePlan = {
  answer: (r) =>
    r.name === "g1-a1" && r.round === 0 ? "1" : String(2 * Number(/(\d)\+/.exec(r.question)![1])),
};

describe("the debate's schedule", () => {
  it("an N-agent debate of 3 agents over 3 questions takes 3 waves (its rounds), each of all 9 calls", async () => {
    const { script, waves } = inWaves(debateModel(plan), 9);
    const { work, config } = await workspace(script);
    const run = await runDebate(
      work,
      "n-agent",
      config(3, { setup: "n-agent", rounds: 2 }, { profile: held }),
      { inProcess: true },
    );
    expect(waves).toEqual(Array(3).fill({ size: 9, full: true }));
    expect(run.metrics[0]).toMatchObject({ baselineAccuracy: 2 / 3, accuracy: 1 });

    // Another interleaving of the same replies gives the same events.
    const other = await workspace(jittered(debateModel(plan)));
    const again = await runDebate(
      other.work,
      "n-agent",
      other.config(3, { setup: "n-agent", rounds: 2 }),
      { inProcess: true },
    );
    expect(content(again.events)).toEqual(content(run.events));
  }, 120_000);

  it("MAD over 3 questions takes 10 waves (3 rounds of 3 turns and the final judgement), each of all 3 questions' calls", async () => {
    const { script, waves } = inWaves(debateModel(plan), 3);
    const { work, config } = await workspace(script);
    const run = await runDebate(
      work,
      "mad",
      config(2, { setup: "mad", rounds: 3, judge: { profile: "fake" } }, { profile: held }),
      { inProcess: true },
    );
    expect(waves).toEqual(Array(10).fill({ size: 3, full: true }));
    expect(run.metrics[0]).toMatchObject({ roundsUsed: 3 });

    const other = await workspace(jittered(debateModel(plan)));
    const again = await runDebate(
      other.work,
      "mad",
      other.config(2, { setup: "mad", rounds: 3, judge: { profile: "fake" } }),
      { inProcess: true },
    );
    expect(content(again.events)).toEqual(content(run.events));
  }, 300_000);
});
