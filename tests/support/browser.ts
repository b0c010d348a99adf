/**
 * Helpers for the viewer's end-to-end tests: Debian's Chromium through playwright-core (never a
 * downloaded browser), screenshots into tests/artifacts/, and the `viewer: URL` line of a serving
 * CLI process.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { it } from "vitest";
import { ROOT, sleep, type CliProcess } from "./llm-helpers.js";

declare global {
  interface Window {
    /** What the viewer exposes for tests (viewer/src/net/client.ts); only what the tests read. */
    __agoraViewer?: { store: { getState(): { selectedAgentId: string | null } }; sigma?: unknown };
  }
}

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = join(ROOT, "tests", "artifacts");

/** Launches headless Chromium; throws (so the tests fail, never skip) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the viewer's end-to-end tests need Debian's Chromium (\`.ci/run\` installs it: apt-get install -y chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--enable-unsafe-swiftshader",
      "--disable-background-networking",
      "--no-first-run",
    ],
  });
}

/**
 * Chromium for one describe block: `await suite.start()` first in beforeAll (undefined when
 * Chromium could not start), and `suite.e2e(name, body)` for its tests, which then fail at once
 * with the launch error (never a skip).
 */
export function chromiumSuite(): {
  start(): Promise<Browser | undefined>;
  e2e(name: string, body: () => Promise<void>): void;
} {
  let setupError: Error | undefined;
  return {
    async start() {
      try {
        return await launchChromium();
      } catch (error) {
        setupError = error as Error;
        return undefined;
      }
    },
    e2e(name, body) {
      it(name, async () => {
        if (setupError) throw setupError;
        await body();
      });
    },
  };
}

/**
 * A graph node's centre in page coordinates (from window.__agoraViewer.sigma), null until sigma
 * draws it.
 */
export function nodePoint(page: Page, slot: string): Promise<{ x: number; y: number } | null> {
  return page.evaluate((key) => {
    type Sigma = {
      getNodeDisplayData(n: string): { x: number; y: number } | undefined;
      framedGraphToViewport(c: { x: number; y: number }): { x: number; y: number };
      getContainer(): HTMLElement;
    };
    const sigma = window.__agoraViewer?.sigma as Sigma | undefined;
    const data = sigma?.getNodeDisplayData(key);
    if (!sigma || !data) return null;
    // Display data is in sigma's framed graph space; the viewport is the container's.
    const p = sigma.framedGraphToViewport(data);
    const box = sigma.getContainer().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  }, slot);
}

/** One attribute ("label", "color"...) of every slot node on sigma's graph (halos left out). */
export function nodeAttributes(page: Page, attribute: string): Promise<Record<string, string>> {
  return page.evaluate((attr) => {
    const sigma = window.__agoraViewer?.sigma as
      | { getGraph(): { nodes(): string[]; getNodeAttribute(n: string, a: string): unknown } }
      | undefined;
    if (!sigma) return {};
    const graph = sigma.getGraph();
    return Object.fromEntries(
      graph
        .nodes()
        .filter((n) => !n.startsWith("halo:"))
        .map((n) => [n, String(graph.getNodeAttribute(n, attr))]),
    );
  }, attribute);
}

/** Saves a full-page screenshot as tests/artifacts/viewer-<name>.png. */
export async function snap(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `viewer-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The `viewer: URL` a serving CLI prints (on stderr); fails if the process ends or nothing comes in
 * time.
 */
export async function viewerUrlOf(proc: CliProcess, timeoutMs = 20_000): Promise<string> {
  let exited = false;
  void proc.done.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /viewer: (http:\/\/\S+)/.exec(proc.stderr());
    if (match) return match[1]!;
    if (exited) throw new Error(`the server exited before printing its URL:\n${proc.stderr()}`);
    if (Date.now() > deadline)
      throw new Error(`no "viewer: URL" line within ${timeoutMs} ms:\n${proc.stderr()}`);
    await sleep(20);
  }
}

/** True while the process has neither exited nor been killed by a signal. */
export const alive = (proc: CliProcess): boolean =>
  proc.child.exitCode === null && proc.child.signalCode === null;

/**
 * The agents table's columns (`data-column` of its headers; the table shows while no agent is
 * selected).
 */
export function tableColumns(page: Page): Promise<string[]> {
  return page
    .getByTestId("agent-table")
    .locator("th")
    .evaluateAll((ths) => ths.map((th) => th.getAttribute("data-column") ?? ""));
}

/**
 * The graph's size menu options (values), [] when the scenario's view offers no sizes (no menu).
 */
export async function sizeOptions(page: Page): Promise<string[]> {
  const menu = page.getByTestId("size-by");
  if ((await menu.count()) === 0) return [];
  return menu
    .locator("option")
    .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
}
