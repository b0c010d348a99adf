import { BatchNav, BatchPage, useBatchOpen } from "./components/batch/BatchPage.js";
import { Charts } from "./components/Charts.js";
import { Controls } from "./components/Controls.js";
import { EventLog } from "./components/EventLog.js";
import { GraphPanel } from "./components/GraphPanel.js";
import { Inspector } from "./components/Inspector.js";
import { RunPicker } from "./components/RunPicker.js";
import { ConnectionBadge, RunStatus } from "./components/StatusBar.js";
import { ScenarioPanels } from "./scenarios/panels.js";
import { useViewer } from "./store.js";

export function App() {
  const selected = useViewer((s) => s.selectedRunId);
  const runs = useViewer((s) => s.runs);
  const run = useViewer((s) => s.head.run);
  const refused = useViewer((s) => s.subscription.status === "error" && s.head.nextSeq === 0);
  const batchOpen = useBatchOpen();
  return (
    <div className="app" data-testid="app">
      <header className="topbar">
        <h1>Agora</h1>
        <span className="run-title" data-testid="run-title">
          {selected === null
            ? "no run selected"
            : `${selected}${run ? ` · ${run.scenario} · seed ${run.seed}` : ""}`}
        </span>
        <span className="spacer" />
        <ConnectionBadge />
      </header>
      <div className="layout">
        <aside className="sidebar">
          <BatchNav />
          <RunPicker />
        </aside>
        <main className="main">
          {batchOpen ? (
            <BatchPage />
          ) : selected === null ? (
            <div className="empty-main" data-testid="no-run-selected">
              {runs !== null && runs.length === 0 ? (
                <>
                  <h2>No runs yet</h2>
                  <p>
                    Start one with <code>npx agora run CONFIG --serve</code> (for example{" "}
                    <code>npx agora run scenarios/donor-game/offline-demo.yaml --serve</code>); it
                    appears here live.
                  </p>
                </>
              ) : (
                <>
                  <h2>Pick a run</h2>
                  <p>
                    Choose a run on the left: live runs stream as they play, recorded runs replay
                    from their event log.
                  </p>
                </>
              )}
            </div>
          ) : refused ? (
            <>
              <RunStatus />
              <div className="empty-main muted">Pick another run on the left.</div>
            </>
          ) : (
            <>
              <RunStatus />
              <Controls />
              <div className="row-top">
                <GraphPanel />
                <Inspector />
              </div>
              <ScenarioPanels />
              <Charts />
              <EventLog />
            </>
          )}
        </main>
      </div>
    </div>
  );
}
