/**
 * The debate and transmission views end to end in Debian's headless Chromium: recorded runs
 * served by `agora serve --runs DIR`, opened with `?run=ID` — event logs written from the
 * contracts (tests/support/viewer-fixtures.ts) and the scenarios' offline configs recorded by the
 * CLI, checked against their own events.jsonl. The debate chat (bubbles per round,
 * private surveys, judge verdicts), the graph coloured by each debater's answer at a scrubbed
 * time, the attitude lines; transmission texts on hover, the text inspector's diff against the
 * likely parent, the similarity heatmap and the chain lanes. Screenshots go to
 * tests/artifacts/viewer-scenario-*.png. Fails (never skips) without /usr/bin/chromium.
 */
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { AgoraEvent } from "../sim/core/events.js";
import { serializedGraph } from "../sim/core/graph/compact.js";
import { ANSWER_COLORS, DEBATE_KINDS, verdictOf } from "../scenarios/debate/view.js";
import {
  alive,
  chromiumSuite,
  nodeAttributes,
  nodePoint,
  sizeOptions,
  snap,
  tableColumns,
  viewerUrlOf,
} from "./support/browser.js";
import { readEvents, runCli, spawnCli, tempDir, type CliProcess } from "./support/llm-helpers.js";
import {
  debateEvents,
  transmissionChainEvents,
  transmissionNetworkEvents,
  writeRunDir,
} from "./support/viewer-fixtures.js";

const VIEWPORT = { width: 1280, height: 800 };
const tmp = tempDir("viewer-scenarios-e2e");
const runsDir = join(tmp.path, "runs");
const debate = debateEvents();
/**
 * The scenarios' offline configs (policy minds), recorded by the CLI before the tests: run id ->
 * config.
 */
const RECORDED: Record<string, string> = {
  mad: "scenarios/debate/offline-mad.yaml",
  persona: "scenarios/debate/offline-persona.yaml",
  network: "scenarios/transmission/offline-network.yaml",
  chains: "scenarios/transmission/offline-chains.yaml",
};
const recorded = (id: string): AgoraEvent[] => readEvents(join(runsDir, id));

const suite = chromiumSuite();
const e2e = suite.e2e;
let browser: Browser | undefined;
let server: CliProcess | undefined;
let baseUrl = "";
const pageErrors: string[] = [];

async function open(runId: string): Promise<{ page: Page; ctx: BrowserContext }> {
  const ctx = await browser!.newContext({ viewport: VIEWPORT });
  const page = await ctx.newPage();
  // An action that cannot happen fails with its locator, well inside the test's time.
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (error) => pageErrors.push(`${runId}: ${error.message}`));
  const url = new URL(baseUrl);
  url.searchParams.set("run", runId);
  await page.goto(url.href);
  await expect
    .poll(() => page.getByTestId("run-status").getAttribute("data-phase"), { timeout: 15_000 })
    .toBe("completed");
  return { page, ctx };
}

/** Moves the pointer onto a slot's node (once sigma has drawn it). */
async function hoverNode(page: Page, slot: string): Promise<void> {
  await expect
    .poll(() => nodePoint(page, slot), { timeout: 5_000, message: `node ${slot} on the canvas` })
    .not.toBeNull();
  const point = (await nodePoint(page, slot))!;
  await page.mouse.move(point.x - 3, point.y - 3);
  await page.mouse.move(point.x, point.y);
}

const nodeColors = (page: Page) => nodeAttributes(page, "color");

const seqAfter = (events: readonly AgoraEvent[], pred: (e: AgoraEvent) => boolean): number =>
  events.find(pred)!.seq;

describe.sequential("debate and transmission views in Chromium", () => {
  beforeAll(async () => {
    // First, so a missing Chromium fails every test at once with its message (never a skip).
    browser = await suite.start();
    if (!browser) return;
    writeRunDir(join(runsDir, "debate-fixture"), debate);
    writeRunDir(join(runsDir, "tx-network"), transmissionNetworkEvents(6));
    writeRunDir(join(runsDir, "tx-chains"), transmissionChainEvents(3, 5));
    const runs = await Promise.all(
      Object.entries(RECORDED).map(([id, config]) =>
        runCli(["run", config, "--out", join(runsDir, id)]),
      ),
    );
    runs.forEach((r, i) => expect(r.code, `${Object.keys(RECORDED)[i]}: ${r.stderr}`).toBe(0));
    server = spawnCli(["serve", "--runs", runsDir, "--port", "0"]);
    baseUrl = await viewerUrlOf(server);
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    if (server && alive(server)) server.child.kill("SIGTERM");
    await server?.done.catch(() => {});
    tmp.cleanup();
    expect(pageErrors).toEqual([]);
  }, 30_000);

  e2e(
    "debate: the chat per question and round, private surveys, verdicts, attitude lines",
    async () => {
      const { page, ctx } = await open("debate-fixture");
      try {
        const chat = page.getByTestId("debate-chat");
        // Following the current question: the persona topic, 9 answers and 9 private surveys.
        await expect
          .poll(() => chat.getAttribute("data-question"), { timeout: 10_000 })
          .toBe("1:1");
        expect(await page.getByTestId("chat-bubble").count()).toBe(18);
        expect(await page.getByTestId("private-badge").count()).toBe(9);
        expect(
          await page
            .locator('[data-testid="chat-bubble"][data-kind="survey"]')
            .first()
            .textContent(),
        ).toContain("private");
        expect(await page.getByTestId("chat-round").count()).toBe(3);
        await expect
          .poll(async () =>
            Number(
              await page.getByTestId("plot-debate-attitude-rounds").getAttribute("data-points"),
            ),
          )
          .toBe(3);
        expect(
          await page.getByTestId("plot-debate-attitude-rounds").locator("canvas").count(),
        ).toBeGreaterThanOrEqual(1);
        // Judge and summariser are listed off the graph, not drawn: three nodes.
        await expect.poll(() => page.getByTestId("graph").getAttribute("data-nodes")).toBe("3");
        expect(await page.getByTestId("debate-roles").textContent()).toContain("judge (judge)");
        expect(await page.getByTestId("debate-question-key").textContent()).toBe(
          "no key (open topic)",
        );
        // No Donor Game words: the debate's one measure is accuracy (its scores); no resources, no
        // score column, no game series.
        expect(await sizeOptions(page)).toEqual(["accuracy"]);
        expect(await page.getByTestId("graph").getAttribute("data-size-by")).toBe("accuracy");
        expect(await tableColumns(page)).toEqual(["agent", "mind", "family", "accuracy"]);
        expect(await page.getByTestId("agent-row-g1-a1").locator("td").last().textContent()).toBe(
          "100%",
        );
        expect(await page.getByTestId("inspector").textContent()).not.toMatch(/resources/);
        expect(await page.getByTestId("graph-legend").textContent()).toContain("size: accuracy");
        expect(await page.getByTestId("chart-rounds").count()).toBe(0);
        await page.getByTestId("debate-panel").scrollIntoViewIfNeeded();
        await snap(page, "scenario-debate-topic");

        // The arithmetic question: rounds 0-2, summaries, two verdicts.
        await page.getByTestId("debate-question-select").selectOption("1:0");
        await expect.poll(() => chat.getAttribute("data-question")).toBe("1:0");
        expect(await page.getByTestId("chat-bubble").count()).toBe(14);
        expect(await page.locator('[data-testid="chat-bubble"][data-kind="judge"]').count()).toBe(
          2,
        );
        expect(await page.locator('[data-testid="chat-bubble"][data-kind="summary"]').count()).toBe(
          3,
        );
        const round0 = page.locator(
          '[data-testid="chat-round"][data-round="0"] [data-testid="answer-chip"]',
        );
        expect(
          await round0.evaluateAll((chips) => chips.map((c) => c.getAttribute("data-verdict"))),
        ).toEqual(["right", "wrong", "unreadable"]);
        expect(await page.getByTestId("debate-question-key").textContent()).toBe("key: 42");
        expect(
          await page.locator('[data-testid="chat-bubble"][data-kind="judge"]').last().textContent(),
        ).toContain("final verdict");
        // A long answer is cut, with a toggle.
        const more = page.getByTestId("expand-text").first();
        await more.click();
        expect(await more.textContent()).toBe("less");
        // Filtering by agent keeps what it said and what it was sent.
        await page.getByTestId("debate-agent-filter").selectOption("g1-a2");
        await expect.poll(() => page.getByTestId("chat-bubble").count()).toBe(4);
        await page.getByTestId("debate-agent-filter").selectOption("");
        await expect
          .poll(() => page.getByTestId("plot-debate-question-rounds").getAttribute("data-points"))
          .toBe("3");
        await snap(page, "scenario-debate-question");

        // Scrubbed to the end of round 0: nodes coloured right / wrong / unreadable (counted wrong
        // by
        // the metrics, drawn apart).
        const round0End = seqAfter(
          debate,
          (e) =>
            e.type === "metric" && e.scope === "round" && e.t.question === 0 && e.t.round === 0,
        );
        await page.getByTestId("scrubber").fill(String(round0End));
        await expect
          .poll(() => nodeColors(page), { timeout: 5_000 })
          .toEqual({
            "g1-a1": ANSWER_COLORS.right,
            "g1-a2": ANSWER_COLORS.wrong,
            "g1-a3": ANSWER_COLORS.unreadable,
          });
        await expect
          .poll(() => page.getByTestId("debate-answer-counts").getAttribute("data-wrong"))
          .toBe("1");
        expect(await page.getByTestId("debate-answer-counts").getAttribute("data-unreadable")).toBe(
          "1",
        );
        await expect
          .poll(() => page.getByTestId("graph-legend").textContent())
          .toContain("current answer");
        // The chat follows the viewed time: round 0 only.
        await page.getByTestId("debate-question-select").selectOption("");
        await expect.poll(() => page.getByTestId("chat-bubble").count()).toBe(3);
        await hoverNode(page, "g1-a2");
        const tip = page.getByTestId("graph-tooltip-text");
        await tip.waitFor({ timeout: 5_000 });
        await expect.poll(() => tip.textContent()).toContain("“41” (wrong)");
        await snap(page, "scenario-debate-scrubbed");

        // The judge opens in the inspector from the chat.
        await page.getByTestId("btn-live").click();
        await page.getByTestId("debate-role-judge").click();
        await expect
          .poll(() => page.getByTestId("agent-details").getAttribute("data-agent"))
          .toBe("judge");
        expect(await page.getByTestId("inspector-role").textContent()).toContain(
          "judge (off the graph)",
        );
        // A debater in the inspector: its accuracy per generation, no resources.
        await page.getByTestId("agent-details").waitFor();
        await page.getByTestId("inspector-close").click();
        await page.getByTestId("agent-row-g1-a2").click();
        await expect
          .poll(() => page.getByTestId("agent-details").getAttribute("data-agent"))
          .toBe("g1-a2");
        const details = page.getByTestId("agent-details");
        expect(await details.textContent()).toContain("Accuracy per generation");
        expect(await page.getByTestId("inspector-scores").textContent()).toContain("50%");
        expect(await details.textContent()).not.toMatch(/resources|Scores per generation/);
        expect(await page.locator('[data-testid^="inspector-field-"]').count()).toBe(0);
        await snap(page, "scenario-debate-inspector");
      } finally {
        await ctx.close();
      }
    },
  );

  e2e("transmission network: texts on hover, parent diff, similarity heatmap, charts", async () => {
    const { page, ctx } = await open("tx-network");
    try {
      const cells = page.getByTestId("tx-heatmap-cell");
      await expect.poll(() => cells.count(), { timeout: 10_000 }).toBe(36);
      expect(
        await page
          .locator('[data-testid="tx-heatmap-cell"][data-row="1"][data-col="4"]')
          .getAttribute("data-value"),
      ).toBe("0.350");
      expect(
        await page
          .locator('[data-testid="tx-heatmap-cell"][data-row="4"][data-col="1"]')
          .getAttribute("data-value"),
      ).toBe("0.350");
      for (const id of ["plot-tx-similarity", "plot-tx-diversity", "plot-tx-fog", "plot-tx-words"])
        await expect
          .poll(() => page.getByTestId(id).getAttribute("data-points"), { timeout: 5_000 })
          .toBe("6");
      expect(await page.getByTestId("chart-rounds").count()).toBe(0);
      // No Donor Game controls or columns: no size menu (every node one size), no resources or
      // score column.
      expect(await sizeOptions(page)).toEqual([]);
      expect(await page.getByTestId("graph").getAttribute("data-size-by")).toBe("none");
      expect(await tableColumns(page)).toEqual(["agent", "mind", "family"]);
      expect(await page.getByTestId("graph-legend").textContent()).not.toContain("size:");
      expect(await page.getByTestId("inspector").textContent()).not.toMatch(/resources|score/);

      await hoverNode(page, "g1-a3");
      const tip = page.getByTestId("graph-tooltip-text");
      await tip.waitFor({ timeout: 5_000 });
      await expect.poll(() => tip.textContent()).toMatch(/^generation 6: /);
      expect(await page.getByTestId("graph-tooltip").textContent()).not.toMatch(
        /resources|last score/,
      );
      expect(await page.getByTestId("graph-tooltip-measures").count()).toBe(0);
      await snap(page, "scenario-tx-hover");

      // Clicking the node inspects its text against its likely parent (its left neighbour).
      await page.mouse.down();
      await page.mouse.up();
      const inspector = page.getByTestId("tx-inspector");
      await expect
        .poll(() => inspector.getAttribute("data-agent"), { timeout: 5_000 })
        .toBe("g1-a3");
      expect(await inspector.getAttribute("data-generation")).toBe("6");
      expect(await page.getByTestId("tx-parent").getAttribute("data-parent")).toBe("g1-a2");
      const diff = page.getByTestId("tx-diff");
      expect(Number(await diff.getAttribute("data-added"))).toBeGreaterThan(0);
      expect(Number(await diff.getAttribute("data-removed"))).toBeGreaterThan(0);
      expect(await page.getByTestId("tx-diff-added").count()).toBeGreaterThan(0);
      // The agent inspector has no resources, no scores table, no strategy revisions.
      const details = page.getByTestId("agent-details");
      expect(await details.getAttribute("data-agent")).toBe("g1-a3");
      expect(await details.textContent()).not.toMatch(
        /resources|Scores per generation|not scored|revised its strategy/,
      );
      expect(await page.locator('[data-testid^="inspector-field-"]').count()).toBe(0);
      expect(await page.getByTestId("inspector-scores").count()).toBe(0);
      // An earlier generation of the same agent; generation 1 has no parent.
      await page.getByTestId("tx-generation-select").selectOption("1:");
      await expect.poll(() => inspector.getAttribute("data-generation")).toBe("1");
      await page.getByTestId("tx-no-parent").waitFor();
      await page.getByTestId("tx-generation-select").selectOption("3:");
      await expect.poll(() => inspector.getAttribute("data-generation")).toBe("3");
      await page.getByTestId("transmission-panel").scrollIntoViewIfNeeded();
      await snap(page, "scenario-tx-network");
    } finally {
      await ctx.close();
    }
  });

  e2e("transmission chains: one lane per chain, a step opens its text", async () => {
    const { page, ctx } = await open("tx-chains");
    try {
      const lanes = page.getByTestId("tx-lane");
      await expect.poll(() => lanes.count(), { timeout: 10_000 }).toBe(3);
      expect(await lanes.evaluateAll((ls) => ls.map((l) => l.getAttribute("data-steps")))).toEqual([
        "5",
        "5",
        "5",
      ]);
      await page
        .locator(
          '[data-testid="tx-lane"][data-chain="1"] [data-testid="tx-lane-step"][data-generation="4"]',
        )
        .click();
      const inspector = page.getByTestId("tx-inspector");
      await expect.poll(() => inspector.getAttribute("data-agent")).toBe("g4-a2");
      expect(await page.getByTestId("tx-parent").getAttribute("data-parent")).toBe("g3-a2");
      expect(await page.getByTestId("agent-details").getAttribute("data-agent")).toBe("g4-a2");
      await page.getByTestId("transmission-panel").scrollIntoViewIfNeeded();
      await snap(page, "scenario-tx-chains");
    } finally {
      await ctx.close();
    }
  });
  e2e(
    "recorded MAD run (offline config): the last question's chat and the debaters' answer colours",
    async () => {
      const events = recorded("mad");
      const answers = events.filter(
        (e): e is Extract<AgoraEvent, { type: "interaction" }> =>
          e.type === "interaction" && e.kind === "answer",
      );
      const last = answers.at(-1)!.t;
      const ofLast = events.filter(
        (e) =>
          e.type === "interaction" &&
          DEBATE_KINDS.has(e.kind) &&
          e.t.generation === last.generation &&
          e.t.question === last.question,
      );
      const { page, ctx } = await open("mad");
      try {
        const chat = page.getByTestId("debate-chat");
        await expect
          .poll(() => chat.getAttribute("data-question"), { timeout: 10_000 })
          .toBe(`${last.generation}:${last.question}`);
        expect(await page.getByTestId("chat-bubble").count()).toBe(ofLast.length);
        expect(await page.locator('[data-testid="chat-bubble"][data-kind="judge"]').count()).toBe(
          ofLast.filter((e) => e.type === "interaction" && e.kind === "judge").length,
        );
        // Each debater's node has the colour of its last answer to that question.
        const expected: Record<string, string> = {};
        for (const a of answers)
          if (a.t.question === last.question && a.t.generation === last.generation)
            expected[a.from] =
              ANSWER_COLORS[
                verdictOf(a.data.answer as string | null, a.data.correct as boolean | null)
              ]!;
        await expect.poll(() => nodeColors(page), { timeout: 5_000 }).toEqual(expected);
        expect(await page.getByTestId("debate-roles").textContent()).toContain("judge (judge)");
        // All 40 questions are listed; an early one opens its own chat.
        expect(await page.getByTestId("debate-question-select").locator("option").count()).toBe(
          1 + new Set(answers.map((a) => `${a.t.generation}:${a.t.question}`)).size,
        );
        await page.getByTestId("debate-question-select").selectOption(`${last.generation}:0`);
        const first = events.filter(
          (e) =>
            e.type === "interaction" &&
            DEBATE_KINDS.has(e.kind) &&
            e.t.generation === last.generation &&
            e.t.question === 0,
        );
        await expect.poll(() => page.getByTestId("chat-bubble").count()).toBe(first.length);
        // The question header shows the key the recorded answers carry.
        const accepted = answers.find(
          (e) => e.t.generation === last.generation && e.t.question === 0,
        )!.data.accepted as string[];
        expect(accepted.length).toBeGreaterThan(0);
        expect(await page.getByTestId("debate-question-key").textContent()).toBe(
          `key: ${accepted.join(" / ")}`,
        );
        await page.getByTestId("debate-panel").scrollIntoViewIfNeeded();
        await snap(page, "scenario-real-mad");
      } finally {
        await ctx.close();
      }
    },
  );

  e2e("recorded persona debate (offline config): private surveys and attitude lines", async () => {
    const events = recorded("persona");
    const surveys = events.filter((e) => e.type === "interaction" && e.kind === "survey");
    const last = surveys.at(-1)!.t;
    const mine = surveys.filter(
      (e) => e.t.generation === last.generation && e.t.question === last.question,
    );
    const { page, ctx } = await open("persona");
    try {
      await expect
        .poll(() => page.getByTestId("private-badge").count(), { timeout: 10_000 })
        .toBe(mine.length);
      const rounds = new Set(mine.map((e) => (e.type === "interaction" ? e.data.round : null)));
      await expect
        .poll(() => page.getByTestId("plot-debate-attitude-rounds").getAttribute("data-points"))
        .toBe(String(rounds.size));
      // Stances without an accepted answer colour the graph by answer; none is right or wrong.
      await expect
        .poll(() => page.getByTestId("graph-legend").textContent())
        .toMatch(/answer (agree|disagree|neutral)/);
      await page.getByTestId("debate-panel").scrollIntoViewIfNeeded();
      await snap(page, "scenario-real-persona");
    } finally {
      await ctx.close();
    }
  });

  e2e("recorded transmission network (offline config): tooltip text, parent, heatmap", async () => {
    const events = recorded("network");
    const generations = events.filter((e) => e.type === "generation-ended").length;
    const slot = "g1-a5";
    const lastText = events
      .filter((e) => e.type === "interaction" && e.kind === "text" && e.from === slot)
      .at(-1)!;
    const lineage = events
      .filter((e) => e.type === "interaction" && e.kind === "lineage" && e.from === slot)
      .at(-1)!;
    const { page, ctx } = await open("network");
    try {
      await expect
        .poll(() => page.getByTestId("tx-heatmap-cell").count(), { timeout: 10_000 })
        .toBe(generations * generations);
      await hoverNode(page, slot);
      const tip = page.getByTestId("graph-tooltip-text");
      await tip.waitFor({ timeout: 5_000 });
      const text = lastText.type === "interaction" ? String(lastText.data.text) : "";
      await expect
        .poll(() => tip.textContent())
        .toContain(`generation ${generations}: ${text.slice(0, 80)}`);
      await snap(page, "scenario-real-network-hover");
      await page.mouse.down();
      await page.mouse.up();
      await expect
        .poll(() => page.getByTestId("tx-inspector").getAttribute("data-agent"), { timeout: 5_000 })
        .toBe(slot);
      expect(await page.getByTestId("tx-parent").getAttribute("data-parent")).toBe(
        lineage.type === "interaction" ? lineage.to : "",
      );
      await page.getByTestId("transmission-panel").scrollIntoViewIfNeeded();
      await snap(page, "scenario-real-network");
    } finally {
      await ctx.close();
    }
  });

  e2e("recorded transmission chains (offline config): one lane per chain", async () => {
    const events = recorded("chains");
    const texts = events.filter((e) => e.type === "interaction" && e.kind === "text");
    const chains = new Set(texts.map((e) => (e.type === "interaction" ? e.data.chain : null)));
    // The recorded graph draws the chains: exactly the predecessor links the texts were written
    // from (36 for 4 chains of 10).
    const started = events.find(
      (e): e is Extract<AgoraEvent, { type: "run-started" }> => e.type === "run-started",
    )!;
    const heard = texts
      .flatMap((e) =>
        e.type === "interaction"
          ? (e.data.inputs as string[]).map((from) => `${from}>${e.from}`)
          : [],
      )
      .sort();
    expect(heard).toHaveLength(36);
    expect(
      serializedGraph(started.graph)
        .edges.map((e) => `${e.source}>${e.target}`)
        .sort(),
    ).toEqual(heard);
    const { page, ctx } = await open("chains");
    try {
      await expect
        .poll(() => page.getByTestId("tx-lane").count(), { timeout: 10_000 })
        .toBe(chains.size);
      const steps = await page
        .getByTestId("tx-lane")
        .evaluateAll((ls) => ls.map((l) => Number(l.getAttribute("data-steps"))));
      expect(steps.reduce((a, b) => a + b, 0)).toBe(texts.length);
      await expect.poll(() => page.getByTestId("chart-tx-attractor-strength").count()).toBe(1);
      await page.getByTestId("transmission-panel").scrollIntoViewIfNeeded();
      await snap(page, "scenario-real-chains");
    } finally {
      await ctx.close();
    }
  });
});
