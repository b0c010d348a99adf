/**
 * The viewer store's panel clock: the heavy panels render `shown`, which follows the viewed state
 * at most every PANEL_INTERVAL_MS (one React commit for all of them) yet shows the first change
 * after a quiet spell at once and always ends on the latest state.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { initialState } from "../viewer/src/state/reducer.js";
import type { ViewerState } from "../viewer/src/state/types.js";
import { PANEL_INTERVAL_MS, initialStore, store } from "../viewer/src/store.js";

/** A distinct viewed state (only identity matters to the clock). */
const state = (nextSeq: number): ViewerState => ({ ...initialState(), nextSeq });

describe("the store's shown state", () => {
  // One fake clock for all tests: the store's clock lives in its module and needs time to only go
  // forward.
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance", "Date"] });
  });
  beforeEach(() => {
    // Far from any earlier change, so the first change below is one after a quiet spell.
    vi.advanceTimersByTime(10 * PANEL_INTERVAL_MS);
    store.setState(initialStore(), true);
  });
  afterAll(() => vi.useRealTimers());

  it("shows a change after a quiet spell at once, then at most once per interval", () => {
    const first = state(1);
    store.setState({ view: first });
    expect(store.getState().shown).toBe(first);

    // A burst within the interval: nothing shown until the interval has passed, then the latest.
    const burst = [2, 3, 4].map(state);
    for (const view of burst) {
      vi.advanceTimersByTime(PANEL_INTERVAL_MS / 5);
      store.setState({ view });
      expect(store.getState().shown).toBe(first);
    }
    vi.advanceTimersByTime(PANEL_INTERVAL_MS);
    expect(store.getState().shown).toBe(burst[2]);

    // No change: no update (the panels' selector returns the same object).
    const before = store.getState().shown;
    vi.advanceTimersByTime(5 * PANEL_INTERVAL_MS);
    expect(store.getState().shown).toBe(before);
  });

  it("follows other store updates without touching shown", () => {
    const view = state(7);
    store.setState({ view });
    vi.advanceTimersByTime(PANEL_INTERVAL_MS);
    expect(store.getState().shown).toBe(view);
    let shownChanges = 0;
    const stop = store.subscribe((s, prev) => {
      if (s.shown !== prev.shown) shownChanges++;
    });
    store.setState({ selectedAgentId: "g1-a1" });
    vi.advanceTimersByTime(5 * PANEL_INTERVAL_MS);
    stop();
    expect(shownChanges).toBe(0);
    expect(store.getState().shown).toBe(view);
  });
});
