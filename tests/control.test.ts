/**
 * The step gate the engine's beforeStep awaits: pause, single steps, speed and Ctrl-C while paused.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { StepGate } from "../sim/app/control.js";
import { InterruptedError } from "../sim/core/engine.js";

/** Lets pending promise callbacks and immediate timers run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

/** Starts a wait and reports whether it has resolved. */
function track(promise: Promise<void>) {
  const state = { done: false, error: undefined as unknown };
  promise.then(
    () => (state.done = true),
    (error) => (state.error = error),
  );
  return state;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("StepGate", () => {
  it("lets every step through by default", async () => {
    const gate = new StepGate();
    expect(gate.state).toEqual({ paused: false, speed: 0 });
    for (let i = 0; i < 5; i++) await gate.wait();
    expect(gate.released).toBe(5);
    expect(gate.waiting).toBe(false);
  });

  it("holds the engine while paused and lets it go on resume", async () => {
    const gate = new StepGate({ paused: true });
    const wait = track(gate.wait());
    await settle();
    expect(wait.done).toBe(false);
    expect(gate.waiting).toBe(true);
    gate.resume();
    await settle();
    expect(wait.done).toBe(true);
    expect(gate.waiting).toBe(false);
    expect(gate.state.paused).toBe(false);
  });

  it("advances exactly one step per step() while paused, then holds again", async () => {
    const gate = new StepGate({ paused: true });
    const first = track(gate.wait());
    await settle();
    expect(first.done).toBe(false);
    gate.step();
    await settle();
    expect(first.done).toBe(true);
    expect(gate.state).toEqual({ paused: true, speed: 0 });
    const second = track(gate.wait());
    await settle();
    expect(second.done).toBe(false);
    expect(gate.released).toBe(1);
    gate.step();
    gate.step();
    await settle();
    expect(second.done).toBe(true);
    // The second grant is taken by the next wait, and no more.
    await gate.wait();
    const fourth = track(gate.wait());
    await settle();
    expect(fourth.done).toBe(false);
    expect(gate.released).toBe(3);
    gate.resume();
    await settle();
    expect(fourth.done).toBe(true);
  });

  it("step() on a running gate lets one more step through, then pauses", async () => {
    const gate = new StepGate();
    gate.step();
    expect(gate.state.paused).toBe(true);
    await gate.wait();
    const next = track(gate.wait());
    await settle();
    expect(next.done).toBe(false);
    gate.resume();
    await settle();
    expect(next.done).toBe(true);
  });

  it("resume drops single steps not yet taken", async () => {
    const gate = new StepGate({ paused: true });
    gate.step();
    gate.step();
    gate.resume();
    gate.pause();
    const wait = track(gate.wait());
    await settle();
    expect(wait.done).toBe(false);
    gate.resume();
    await settle();
    expect(wait.done).toBe(true);
  });

  it("paces steps to at most `speed` per second, and follows speed changes at once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const gate = new StepGate({ speed: 10 });
    await gate.wait(); // the first step is not delayed
    const second = track(gate.wait());
    await vi.advanceTimersByTimeAsync(99);
    expect(second.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(second.done).toBe(true);
    const third = track(gate.wait());
    await vi.advanceTimersByTimeAsync(10);
    expect(third.done).toBe(false);
    gate.setSpeed(0); // unlimited: the waiting step goes now
    await vi.advanceTimersByTimeAsync(0);
    expect(third.done).toBe(true);
    gate.setSpeed(2);
    const fourth = track(gate.wait());
    await vi.advanceTimersByTimeAsync(499);
    expect(fourth.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fourth.done).toBe(true);
  });

  it("a paused wait ends with InterruptedError when the run's signal aborts", async () => {
    const gate = new StepGate({ paused: true });
    const abort = new AbortController();
    const wait = track(gate.wait(abort.signal));
    await settle();
    expect(wait.done).toBe(false);
    abort.abort();
    await settle();
    expect(wait.error).toBeInstanceOf(InterruptedError);
    await expect(gate.wait(abort.signal)).rejects.toBeInstanceOf(InterruptedError);
    expect(gate.waiting).toBe(false);
  });

  it("reports changes and rejects invalid speeds", () => {
    const gate = new StepGate();
    const seen: unknown[] = [];
    const off = gate.onChange((state) => seen.push(state));
    gate.pause();
    gate.setSpeed(4);
    gate.resume();
    off();
    gate.pause();
    expect(seen).toEqual([
      { paused: true, speed: 0 },
      { paused: true, speed: 4 },
      { paused: false, speed: 4 },
    ]);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => gate.setSpeed(bad)).toThrow(RangeError);
    expect(() => new StepGate({ speed: -2 })).toThrow(RangeError);
    expect(gate.state).toEqual({ paused: true, speed: 4 });
  });
});
