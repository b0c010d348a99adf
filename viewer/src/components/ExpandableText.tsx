/**
 * A long text cut to `limit` characters with a "more" toggle (expanded text is capped too: huge
 * texts would freeze the page).
 */
import { useState } from "react";
import { truncate } from "../format.js";

const EXPANDED_CAP = 20_000;

export function ExpandableText({
  text,
  limit = 400,
  className = "text-block",
}: {
  text: string;
  limit?: number;
  className?: string;
}) {
  const [open, setOpen] = useState(false);
  if (text.length <= limit) return <div className={className}>{text}</div>;
  return (
    <div className={className}>
      {open ? truncate(text, EXPANDED_CAP) : truncate(text, limit)}{" "}
      <button
        type="button"
        className="link"
        data-testid="expand-text"
        onClick={() => setOpen(!open)}
      >
        {open ? "less" : `more (${text.length.toLocaleString("en-US")} characters)`}
      </button>
    </div>
  );
}
