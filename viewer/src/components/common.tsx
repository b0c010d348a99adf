import type { ReactNode } from "react";
import type { MindInfo } from "../state/types.js";

/** A recorded prompt, folded: one block per message with its role. */
export function PromptMessages({
  messages,
}: {
  messages: readonly { role: string; content: string }[];
}) {
  return (
    <details>
      <summary>
        prompt ({messages.length} message{messages.length === 1 ? "" : "s"})
      </summary>
      {messages.map((m, i) => (
        <div key={i} className={`message role-${m.role}`}>
          <span className="role">{m.role}</span>
          <pre>{m.content}</pre>
        </div>
      ))}
    </details>
  );
}

/** "policy" or "LLM" badge: policy minds are always labelled as such, never as an LLM. */
export function MindBadge({ mind }: { mind: MindInfo | null }) {
  if (!mind) return <span className="badge badge-unknown">unknown</span>;
  if (mind.kind === "policy") {
    return (
      <span
        className="badge badge-policy"
        data-testid="badge-policy"
        title="An offline, seeded policy program: not an LLM"
      >
        policy
      </span>
    );
  }
  return (
    <span
      className="badge badge-llm"
      data-testid="badge-llm"
      title={`LLM profile ${mind.name}${mind.model ? `, model ${mind.model}` : ""}`}
    >
      LLM{mind.model ? ` · ${mind.model}` : ""}
    </span>
  );
}

export function StatusBadge({ status, live }: { status: string; live?: boolean }) {
  return (
    <span
      className={`badge status-${status}${live ? " status-live" : ""}`}
      data-testid="status-badge"
      data-status={status}
    >
      {live ? "● live" : status}
    </span>
  );
}

export function Panel({
  title,
  testId,
  actions,
  children,
  className,
}: {
  title: string;
  testId: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section className={`panel${className ? ` ${className}` : ""}`} data-testid={testId}>
      <header className="panel-header">
        <h2>{title}</h2>
        {actions ? <div className="panel-actions">{actions}</div> : null}
      </header>
      <div className="panel-body">{children}</div>
    </section>
  );
}
