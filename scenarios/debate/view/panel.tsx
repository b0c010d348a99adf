/**
 * The debate panel (discovered by the viewer: scenarios/<id>/view/panel.tsx, drawn below the graph
 * row of debate runs): one question's transcript as a chat (rounds in order; answers with the
 * debater's role, side and an answer chip; summaries; judge verdicts; surveys marked private), the
 * question's accuracy and agreement by round, the viewed generation's accuracy per question, and
 * attitude lines for persona debates. Follows the question being debated unless one is picked.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import {
  PALETTE,
  truncate,
  type AgentState,
  type ViewerState,
} from "../../../viewer/src/scenarios/api.js";
import {
  ExpandableText,
  Panel,
  UPlotChart,
  selectAgent,
  useViewer,
} from "../../../viewer/src/scenarios/ui.js";
import {
  answerCategory,
  attitudeSeries,
  chatRounds,
  debateState,
  perQuestion,
  questionDebaters,
  questionRounds,
  type AnswerVerdict,
  type ChatItem,
  type DebateQuestion,
} from "../view.js";
import "./debate.css";

/**
 * Bubbles rendered at most per view (a long debate keeps its first ones; filter by agent for the
 * rest).
 */
export const MAX_BUBBLES = 150;
const FOLLOW = "";

export function DebatePanel() {
  // The store's panel clock (at most every 250 ms), shared with the other heavy panels.
  const view = useViewer((s) => s.shown);
  const d = debateState(view);
  const [picked, setPicked] = useState(FOLLOW);
  const [agent, setAgent] = useState("");
  const question =
    (picked !== FOLLOW ? d.questions.find((q) => q.key === picked) : undefined) ??
    d.questions.find((q) => q.key === d.latestKey) ??
    d.questions[d.questions.length - 1];
  const roles = useMemo(() => offGraphRoles(view.agents), [view.agents]);

  return (
    <Panel
      title="Debate"
      testId="debate-panel"
      className="scenario-panel"
      actions={
        <>
          <label>
            question
            <select
              data-testid="debate-question-select"
              value={picked}
              onChange={(e) => setPicked(e.target.value)}
            >
              <option value={FOLLOW}>follow the current question</option>
              {d.questions.map((q) => (
                <option key={q.key} value={q.key}>
                  g{q.generation} · Q{q.index + 1}: {truncate(q.text || q.questionId, 60)}
                </option>
              ))}
            </select>
          </label>
          <label>
            agent
            <select
              data-testid="debate-agent-filter"
              value={agent}
              onChange={(e) => setAgent(e.target.value)}
            >
              <option value="">all</option>
              {(question ? questionDebaters(question) : [])
                .concat(roles.map((r) => r.id))
                .map((id) => (
                  <option key={id} value={id}>
                    {id}
                  </option>
                ))}
            </select>
          </label>
        </>
      }
    >
      {!question ? (
        <div className="muted" data-testid="debate-empty">
          No answers yet: the chat fills as debaters answer.
        </div>
      ) : (
        <div className="scenario-layout">
          <Chat question={question} agent={agent || null} view={view} follow={picked === FOLLOW} />
          <div className="scenario-side">
            <QuestionCharts question={question} view={view} />
            {roles.length > 0 ? (
              <div className="roles" data-testid="debate-roles">
                <span className="muted">off the graph: </span>
                {roles.map((r) => (
                  <button
                    key={r.id}
                    type="button"
                    className="link"
                    data-testid={`debate-role-${r.id}`}
                    onClick={() => selectAgent(r.id)}
                  >
                    {r.id} ({r.role})
                  </button>
                ))}
              </div>
            ) : null}
            {d.droppedQuestions > 0 ? (
              <div className="muted small">
                {d.droppedQuestions} older questions are no longer kept for the chat (their metrics
                are in the charts).
              </div>
            ) : null}
          </div>
        </div>
      )}
    </Panel>
  );
}

function offGraphRoles(agents: Record<string, AgentState>): { id: string; role: string }[] {
  const out: { id: string; role: string }[] = [];
  for (const a of Object.values(agents))
    if (a.role !== null && a.role !== "debater") out.push({ id: a.id, role: a.role });
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

function Chat({
  question,
  agent,
  view,
  follow,
}: {
  question: DebateQuestion;
  agent: string | null;
  view: ViewerState;
  follow: boolean;
}) {
  const rounds = useMemo(() => chatRounds(question, agent), [question, agent]);
  let budget = MAX_BUBBLES;
  const total = rounds.reduce((n, r) => n + r.items.length, 0);
  const ref = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const shownKey = useRef(question.key);
  // Following a live debate, new bubbles stay in sight unless the reader has scrolled up (a new
  // question pins again).
  useEffect(() => {
    const el = ref.current;
    if (shownKey.current !== question.key) {
      shownKey.current = question.key;
      pinned.current = true;
    }
    if (el && follow && pinned.current) el.scrollTop = el.scrollHeight;
  }, [total, question.key, follow]);
  return (
    <div
      className="debate-chat"
      ref={ref}
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
      data-testid="debate-chat"
      data-question={question.key}
      data-bubbles={total}
    >
      <div className="question-head" data-testid="debate-question">
        <span className="muted">
          generation {question.generation} · question {question.index + 1} · {question.questionId}
        </span>
        {question.accepted !== null ? (
          <span
            className="answer-chip verdict-right question-key"
            data-testid="debate-question-key"
            title="The question's accepted answers"
          >
            {question.accepted.length > 0
              ? `key: ${truncate(question.accepted.join(" / "), 60)}`
              : "no key (open topic)"}
          </span>
        ) : null}
        <ExpandableText
          text={question.text || "(no question text)"}
          limit={300}
          className="question-text"
        />
      </div>
      {rounds.map((r) => {
        const shown = r.items.slice(0, Math.max(0, budget));
        budget -= shown.length;
        if (shown.length === 0) return null;
        return (
          <div key={r.round} className="chat-round" data-testid="chat-round" data-round={r.round}>
            <div className="chat-round-title">
              {r.round === 0 ? "round 0 · independent answers" : `round ${r.round}`}
            </div>
            {shown.map((item) => (
              <Bubble key={item.entry.seq} item={item} view={view} />
            ))}
          </div>
        );
      })}
      {total > MAX_BUBBLES ? (
        <div className="muted small" data-testid="chat-capped">
          Showing the first {MAX_BUBBLES} of {total} entries: pick an agent to see its own.
        </div>
      ) : null}
      {question.dropped > 0 ? (
        <div className="muted small">
          {question.dropped} later entries of this question were not kept.
        </div>
      ) : null}
    </div>
  );
}

const VERDICT_LABEL: Record<AnswerVerdict, string> = {
  right: "right",
  wrong: "wrong",
  unreadable: "unreadable (counted wrong)",
  undecided: "undecided",
  unscored: "no key",
};

function AnswerChip({ answer, verdict }: { answer: string | null; verdict: AnswerVerdict }) {
  return (
    <span
      className={`answer-chip verdict-${verdict}`}
      data-testid="answer-chip"
      data-verdict={verdict}
    >
      {answer === null ? "no answer" : truncate(answer, 40)} · {VERDICT_LABEL[verdict]}
    </span>
  );
}

function AgentButton({ id }: { id: string }) {
  return (
    <button type="button" className="link agent-link" onClick={() => selectAgent(id)}>
      {id}
    </button>
  );
}

function Bubble({ item, view }: { item: ChatItem; view: ViewerState }) {
  const author = view.agents[item.from];
  const role =
    author?.role ??
    (item.kind === "judge" ? "judge" : item.kind === "summary" ? "summariser" : "debater");
  const persona = author?.strategy && role === "debater" ? truncate(author.strategy, 40) : null;
  return (
    <div
      className={`bubble bubble-${item.kind}${item.private ? " bubble-private" : ""}`}
      data-testid="chat-bubble"
      data-kind={item.kind}
      data-agent={item.from}
      data-round={item.round}
      data-verdict={item.verdict}
    >
      <div className="bubble-head">
        <AgentButton id={item.from} />
        <span className="role-chip">{role}</span>
        {item.side ? <span className="role-chip side-chip">{item.side}</span> : null}
        {item.pattern && item.pattern !== "debate" ? (
          <span className="muted small">{item.pattern}</span>
        ) : null}
        {persona ? (
          <span className="muted small" title={author?.strategy ?? ""}>
            {persona}
          </span>
        ) : null}
        {item.kind === "summary" && item.to ? (
          <span className="muted small">
            for <AgentButton id={item.to} />
          </span>
        ) : null}
        {item.kind === "answer" ? <AnswerChip answer={item.answer} verdict={item.verdict} /> : null}
        {item.kind === "judge" ? (
          <>
            <span className="role-chip">
              {item.final ? "final verdict" : item.decided ? "decided" : "continue"}
            </span>
            {item.decided !== false ? (
              <AnswerChip answer={item.answer} verdict={item.verdict} />
            ) : null}
          </>
        ) : null}
        {item.private ? (
          <span
            className="badge badge-private"
            data-testid="private-badge"
            title="Surveys are never shown to other agents"
          >
            private · attitude {item.attitude ?? "?"}/10
          </span>
        ) : null}
      </div>
      {item.sawFrom.length > 0 ? (
        <div className="muted small">saw {item.sawFrom.join(", ")}</div>
      ) : null}
      <ExpandableText text={item.text} />
    </div>
  );
}

const ANSWER_SERIES = [
  { label: "accuracy", color: "#2ca02c", format: "percent" as const },
  { label: "agreement", color: "#ff7f0e", format: "percent" as const },
];

function QuestionCharts({ question, view }: { question: DebateQuestion; view: ViewerState }) {
  const rows = view.roundMetrics;
  const inGeneration = view.roundGeneration === question.generation;
  const byRound = useMemo(
    () => (inGeneration ? questionRounds(rows, question.index) : null),
    [rows, question.index, inGeneration],
  );
  const perQ = useMemo(() => perQuestion(rows), [rows]);
  const attitude = useMemo(() => attitudeSeries(question), [question]);
  const counts = useMemo(() => {
    const c = { right: 0, wrong: 0, unreadable: 0, undecided: 0 };
    const d = debateState(view);
    for (const slot of view.slots) {
      const id = view.slotAgent[slot];
      if (id === undefined) continue;
      const cat = answerCategory(id, d);
      if (cat === "right" || cat === "wrong" || cat === "unreadable" || cat === "undecided")
        c[cat]++;
    }
    return c;
  }, [view]);
  return (
    <>
      <div
        className="answer-counts"
        data-testid="debate-answer-counts"
        data-right={counts.right}
        data-wrong={counts.wrong}
        data-unreadable={counts.unreadable}
        data-undecided={counts.undecided}
      >
        now: <span className="answer-chip verdict-right">{counts.right} right</span>{" "}
        <span className="answer-chip verdict-wrong">{counts.wrong} wrong</span>{" "}
        {counts.unreadable > 0 ? (
          <>
            <span
              className="answer-chip verdict-unreadable"
              title="No answer could be read: the accuracy metrics count these wrong"
            >
              {counts.unreadable} unreadable
            </span>{" "}
          </>
        ) : null}
        <span className="answer-chip verdict-undecided">{counts.undecided} undecided</span>
      </div>
      <div className="chart" data-testid="chart-debate-question-rounds">
        <div className="chart-title">This question by round</div>
        {byRound && byRound.rounds.length > 0 ? (
          <UPlotChart
            testId="plot-debate-question-rounds"
            xLabel="round"
            height={140}
            data={[byRound.rounds, byRound.accuracy, byRound.agreement]}
            series={ANSWER_SERIES}
            yRange={[0, 1]}
          />
        ) : (
          <div className="muted small chart-empty">
            No round metrics for this question{" "}
            {inGeneration ? "yet" : "(another generation: scrub to it)"}.
          </div>
        )}
      </div>
      <div className="chart" data-testid="chart-debate-per-question">
        <div className="chart-title">
          Accuracy and agreement per question{" "}
          <span className="muted">— generation {view.roundGeneration || "–"}</span>
        </div>
        {perQ.questions.length > 0 ? (
          <UPlotChart
            testId="plot-debate-per-question"
            xLabel="question"
            height={140}
            data={[perQ.questions, perQ.first, perQ.last, perQ.agreement]}
            series={[
              { label: "first round", color: "#9ecae1", format: "percent" },
              { label: "last round", color: "#2ca02c", format: "percent" },
              { label: "final agreement", color: "#ff7f0e", format: "percent" },
            ]}
            yRange={[0, 1]}
          />
        ) : (
          <div className="muted small chart-empty">No round metrics yet.</div>
        )}
      </div>
      {attitude.agents.length > 0 ? (
        <div className="chart" data-testid="chart-debate-attitude-rounds">
          <div className="chart-title">Attitude by round (private surveys, 0–10)</div>
          <UPlotChart
            testId="plot-debate-attitude-rounds"
            xLabel="round"
            height={140}
            data={[attitude.rounds, ...attitude.values]}
            series={attitude.agents.map((a, i) => ({
              label: a,
              color: PALETTE[i % PALETTE.length]!,
            }))}
            yRange={[0, 10]}
          />
        </div>
      ) : null}
    </>
  );
}

export default DebatePanel;
