import { control, goLive, scrubTo } from "../net/client.js";
import { SPEEDS } from "../net/protocol.js";
import { useViewer } from "../store.js";
import { fmtInt } from "../format.js";

export function Controls() {
  const runState = useViewer((s) => s.runState);
  const subscription = useViewer((s) => s.subscription);
  const connection = useViewer((s) => s.connection);
  const phase = useViewer((s) => s.head.phase);
  const controlError = useViewer((s) => s.controlError);
  const live =
    (runState?.live ?? subscription.live) &&
    phase !== "completed" &&
    phase !== "failed" &&
    phase !== "budget-exhausted" &&
    phase !== "interrupted";
  const enabled = live && connection === "connected";
  const paused = runState?.paused ?? false;
  const speed = runState?.speed ?? 0;
  const speeds = SPEEDS.some((s) => s.value === speed)
    ? SPEEDS
    : [...SPEEDS, { value: speed, label: `${speed} steps/s` }];
  return (
    <div className="controls" data-testid="controls">
      <div className="control-buttons">
        <button
          type="button"
          data-testid="btn-pause"
          disabled={!enabled || paused}
          onClick={() => control("pause")}
        >
          ❚❚ Pause
        </button>
        <button
          type="button"
          data-testid="btn-resume"
          disabled={!enabled || !paused}
          onClick={() => control("resume")}
        >
          ▶ Resume
        </button>
        <button
          type="button"
          data-testid="btn-step"
          disabled={!enabled}
          onClick={() => control("step")}
          title="Run one engine step, then pause"
        >
          ▶❚ Step
        </button>
        <label className="speed">
          Speed
          <select
            data-testid="speed-select"
            disabled={!enabled}
            value={String(speed)}
            onChange={(e) => control("speed", Number(e.target.value))}
          >
            {speeds.map((s) => (
              <option key={s.value} value={String(s.value)}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        {!live && runState !== null ? (
          <span className="muted" data-testid="controls-recorded">
            {runState.live || subscription.live
              ? "the run has ended: engine controls are off"
              : "recorded run: engine controls are off"}
          </span>
        ) : null}
        {live && paused ? (
          <span className="badge status-paused" data-testid="paused-badge">
            paused
          </span>
        ) : null}
        {controlError ? (
          <span className="notice-inline error" data-testid="control-error">
            {controlError}
          </span>
        ) : null}
      </div>
      <Scrubber />
    </div>
  );
}

function Scrubber() {
  const headSeq = useViewer((s) => s.head.nextSeq - 1);
  const minSeq = useViewer((s) => s.minSeq);
  const scrubSeq = useViewer((s) => s.scrubSeq);
  const viewSeq = useViewer((s) => s.view.nextSeq - 1);
  const viewGeneration = useViewer((s) => s.view.generation);
  const ends = useViewer((s) => s.head.generationEnds);
  const following = scrubSeq === null;
  const max = Math.max(headSeq, minSeq);
  const span = Math.max(1, max - minSeq);
  const ticks = ends.filter((e) => e.seq >= minSeq && e.seq <= max);
  const labelEvery = Math.max(1, Math.ceil(ticks.length / 20));
  return (
    <div className="scrubber" data-testid="timeline">
      <div className="scrubber-track">
        <input
          type="range"
          aria-label="timeline"
          data-testid="scrubber"
          min={minSeq}
          max={max}
          step={1}
          value={following ? max : (scrubSeq ?? max)}
          disabled={headSeq < 0}
          onChange={(e) => scrubTo(Number(e.target.value))}
        />
        <div className="ticks" aria-hidden="true">
          {ticks.map((tick, i) => (
            <span
              key={tick.seq}
              className="tick"
              style={{ left: `${((tick.seq - minSeq) / span) * 100}%` }}
              data-testid="scrubber-tick"
              data-generation={tick.generation}
            >
              {i % labelEvery === 0 || i === ticks.length - 1 ? (
                <span className="tick-label">g{tick.generation}</span>
              ) : null}
            </span>
          ))}
        </div>
      </div>
      {!following ? (
        <span className="scrub-notice" data-testid="scrub-notice">
          viewing the past
        </span>
      ) : null}
      <span
        className="seq-label"
        data-testid="seq-label"
        data-seq={viewSeq}
        data-head-seq={headSeq}
      >
        {headSeq < 0
          ? "no events yet"
          : following
            ? `seq ${fmtInt(viewSeq)} · gen ${viewGeneration}`
            : `seq ${fmtInt(viewSeq)} / ${fmtInt(headSeq)} · gen ${viewGeneration}`}
      </span>
      <button
        type="button"
        className={following ? "live-on" : "live-off"}
        data-testid="btn-live"
        data-following={following ? "true" : "false"}
        disabled={following}
        onClick={() => goLive()}
      >
        {following ? "● live" : "Back to live"}
      </button>
    </div>
  );
}
