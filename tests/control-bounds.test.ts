/**
 * Control values are bounded: a viewer's `speed` of 1e-300, a negative, huge or non-finite one is
 * refused with an error to that client, and the run goes on as if it had never been sent (no
 * change of pace, no timer overflow warnings). `--speed` and the step gate hold the same bounds.
 */
import { join } from "node:path";
import { io } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import { StepGate } from "../sim/app/control.js";
import { startRun } from "../sim/app/run.js";
import {
  LiveRun,
  MAX_SPEED,
  MIN_SPEED,
  startServer,
  type ControlAck,
} from "../sim/app/server/index.js";
import { readEvents, runCli, tempDir, writeConfig } from "./support/llm-helpers.js";

const tmp = tempDir("control-bounds");
afterAll(tmp.cleanup);

const configPath = writeConfig(tmp.path, "policy.yaml", {
  scenario: "donor-game",
  seed: 1,
  generations: 2,
  population: { size: 4, minds: [{ count: 4, policy: "tit-for-tat" }] },
  cache: { dir: join(tmp.path, "cache") },
});

// 1e-300 and 1e300 go through JSON as themselves; NaN and Infinity arrive as null.
const BAD_SPEEDS = [1e-300, MIN_SPEED / 2, -1, -0.5, MAX_SPEED * 2, 1e300, NaN, Infinity];

describe("the speed control", () => {
  it("refuses out-of-range speeds with an error to the client; the run is unaffected", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    const gate = new StepGate({ paused: true });
    const live = new LiveRun({ dir: join(tmp.path, "live"), scenario: "donor-game", gate });
    const server = await startServer({ runsDir: tmp.path, live, port: 0 });
    const socket = io(`http://127.0.0.1:${server.port}`, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    try {
      const done = startRun(configPath, {
        out: live.dir,
        hooks: live.hooks,
        onStart: live.onStart,
      }).then((result) => {
        live.finish(result);
        return result;
      });
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      const control = (message: unknown) =>
        socket.timeout(5000).emitWithAck("control", message) as Promise<ControlAck>;

      for (const value of BAD_SPEEDS) {
        const ack = await control({ runId: live.id, action: "speed", value });
        expect(ack, String(value)).toMatchObject({ ok: false });
        const { error } = ack as { error: string };
        expect(error, String(value)).toMatch(/^value: /);
        if (Number.isFinite(value)) expect(error).toContain(`from ${MIN_SPEED} to ${MAX_SPEED}`);
        expect(gate.state).toEqual({ paused: true, speed: 0 });
      }
      // The bounds themselves are fine.
      for (const value of [MIN_SPEED, MAX_SPEED, 0])
        expect(await control({ runId: live.id, action: "speed", value })).toEqual({
          ok: true,
          state: { paused: true, speed: value },
        });

      expect((await control({ runId: live.id, action: "resume" })).ok).toBe(true);
      const result = await done;
      expect(result.status).toBe("completed");
      expect(readEvents(live.dir).at(-1)).toMatchObject({
        type: "run-ended",
        status: "completed",
      });
      expect(warnings.map((w) => w.name)).not.toContain("TimeoutOverflowWarning");
    } finally {
      process.off("warning", onWarning);
      socket.disconnect();
      await server.close();
    }
  });

  it("the step gate refuses the same speeds", () => {
    for (const speed of BAD_SPEEDS) {
      expect(() => new StepGate({ speed }), String(speed)).toThrow(RangeError);
      const gate = new StepGate({ speed: 4 });
      expect(() => gate.setSpeed(speed)).toThrow(`from ${MIN_SPEED} to ${MAX_SPEED}`);
      expect(gate.state.speed).toBe(4);
    }
  });

  it.for(["1e-300", "-1", "1e300", "NaN"])(
    "agora run --speed %s exits 2 naming the flag, before running",
    async (value) => {
      const out = join(tmp.path, `cli-${value}`);
      const result = await runCli(["run", configPath, "--out", out, "--speed", value]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--speed: got "${value}", expected steps per second`);
    },
  );
});
