/** Choose any number of things (assignees, labels) as a set: each box adds or removes one. */
import { type ReactNode, useState } from "react";

export function toggled(chosen: string[], value: string, on: boolean): string[] {
  if (on) return chosen.includes(value) ? chosen : [...chosen, value];
  return chosen.filter((v) => v !== value);
}

export function PickMany({
  label,
  options,
  chosen,
  summary,
  disabled,
  onChange,
  hideLabel = false,
  className = "",
}: {
  label: string;
  options: Array<{ value: string; label: string }>;
  chosen: string[];
  summary: ReactNode;
  disabled: boolean;
  onChange: (ids: string[]) => void;
  hideLabel?: boolean;
  className?: string;
}) {
  // The boxes show a change the moment it is made. The caches catch up a tick later (the
  // optimistic write is scheduled, not immediate); until then the box would snap back.
  // Whatever `chosen` arrives next (the optimistic value, or the old one after a failure)
  // takes over again.
  const [pending, setPending] = useState<{ over: string[]; ids: string[] } | null>(null);
  const shown = pending?.over === chosen ? pending.ids : chosen;
  return (
    <div className={`pick-many ${className}`.trim()}>
      <span className={hideLabel ? "sr-only" : "prop-label"}>{label}</span>
      <details className="multi">
        {/* Named by its content, "Assignees: change" and then what it shows: an aria-label
            would hide the visible text (avatar initials...) from voice control. */}
        <summary>
          <span className="sr-only">{label}: change, </span>
          {summary}
        </summary>
        <fieldset disabled={disabled}>
          <legend className="sr-only">{label}</legend>
          {options.length === 0 && <p className="muted">Nothing to choose yet.</p>}
          {options.map((o) => (
            <label key={o.value} className="check-row">
              <input
                type="checkbox"
                checked={shown.includes(o.value)}
                onChange={(e) => {
                  const next = toggled(shown, o.value, e.target.checked);
                  setPending({ over: chosen, ids: next });
                  onChange(next);
                }}
              />
              {o.label}
            </label>
          ))}
        </fieldset>
      </details>
    </div>
  );
}
