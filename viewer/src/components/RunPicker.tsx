import { selectRun } from "../net/client.js";
import { useViewer } from "../store.js";
import { StatusBadge } from "./common.js";

export function RunPicker() {
  const runs = useViewer((s) => s.runs);
  const runsError = useViewer((s) => s.runsError);
  const selected = useViewer((s) => s.selectedRunId);
  return (
    <nav className="run-picker" data-testid="run-picker">
      <h2>Runs</h2>
      {runsError ? (
        <div className="notice notice-error" data-testid="runs-error">
          Could not list runs: {runsError}
        </div>
      ) : null}
      {runs === null && !runsError ? (
        <div className="muted" data-testid="runs-loading">
          loading runs…
        </div>
      ) : null}
      {runs !== null && runs.length === 0 ? (
        <div className="notice" data-testid="runs-empty">
          No runs yet: <code>npx agora run CONFIG --serve</code>
        </div>
      ) : null}
      <ul>
        {(runs ?? []).map((run) => (
          <li key={run.id}>
            <button
              type="button"
              className={`run-item${run.id === selected ? " selected" : ""}`}
              data-testid={`run-item-${run.id}`}
              data-live={run.live ? "true" : "false"}
              data-status={run.status}
              aria-pressed={run.id === selected}
              onClick={() => selectRun(run.id)}
            >
              <span className="run-id">{run.id}</span>
              <span className="run-meta">
                <StatusBadge
                  status={String(run.status)}
                  live={run.live && run.status === "running"}
                />
                <span className="muted">
                  {run.scenario} · gen {run.generation}
                </span>
              </span>
              {run.startedAt ? (
                <span className="run-time muted">{new Date(run.startedAt).toLocaleString()}</span>
              ) : null}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
