/** The filter bar of the list and the board: the same filters, the same URL parameters. */
import { type ReactNode, useCallback, useMemo, useRef, useState } from "react";
import type { Label, Person, Priority, Status } from "../../api/types";
import { PRIORITIES, PRIORITY_LABEL } from "../../api/types";
import type { SearchParamsNow } from "../../lib/searchParams";
import { QueryInput } from "../query/QueryInput";
import { vocabularyOf } from "../query/vocabulary";
import {
  activeCount,
  EMPTY_FILTERS,
  fromSearchParams,
  type TaskFilters,
  withFilters,
} from "./filters";

/**
 * The filters in the URL, and a setter that keeps the URL's other parameters. A view that binds
 * other controls to the URL passes its own `useSearchParamsNow()`, so that every change builds
 * on the last one.
 */
export function useUrlFilters([params, setParams]: SearchParamsNow): [
  TaskFilters,
  (next: TaskFilters) => void,
] {
  const filters = useMemo(() => fromSearchParams(params), [params]);
  const setFilters = useCallback(
    (next: TaskFilters) => setParams((current) => withFilters(current, next)),
    [setParams],
  );
  return [filters, setFilters];
}

function MultiSelect({
  label,
  options,
  values,
  onChange,
}: {
  label: string;
  options: Array<{ value: string; label: string }>;
  values: string[];
  onChange: (values: string[]) => void;
}) {
  return (
    <details className="multi">
      <summary>
        {label}
        {values.length > 0 && <span className="badge">{values.length}</span>}
      </summary>
      <fieldset>
        <legend className="sr-only">{label}</legend>
        {options.map((o) => (
          <label key={o.value} className="check-row">
            <input
              type="checkbox"
              checked={values.includes(o.value)}
              onChange={(e) =>
                onChange(
                  e.target.checked ? [...values, o.value] : values.filter((v) => v !== o.value),
                )
              }
            />
            {o.label}
          </label>
        ))}
      </fieldset>
    </details>
  );
}

export function FilterBar({
  filters,
  setFilters,
  statuses,
  labels,
  members,
  projects,
  searchRef,
  children,
}: {
  filters: TaskFilters;
  setFilters: (f: TaskFilters) => void;
  statuses: Status[];
  labels: Label[];
  members: Person[];
  /** Whose keys `project:` suggests. */
  projects?: Array<{ key: string; name: string }>;
  searchRef?: React.RefObject<HTMLInputElement | null>;
  /** More controls of the view, after the filters (the board's grouping). */
  children?: ReactNode;
}) {
  const [text, setText] = useState(filters.q);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const vocabulary = useMemo(
    () => vocabularyOf({ statuses, labels, people: members, projects }),
    [statuses, labels, members, projects],
  );
  return (
    <search className="filter-bar" aria-label="Filter tasks">
      <QueryInput
        inputRef={searchRef}
        wrapperClassName="filter-query"
        type="search"
        aria-label="Search titles and descriptions, or filter with a query (press /)"
        placeholder="Search or filter: label:bug is:overdue…  /"
        title="Words, or the query language: assignee:me, status:started, label:bug, due<2026-12-31, is:open"
        vocabulary={vocabulary}
        value={text}
        onChange={(value) => {
          setText(value);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => setFilters({ ...filters, q: value }), 250);
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape") e.currentTarget.blur();
        }}
      />
      <MultiSelect
        label="Status"
        values={filters.status_id}
        options={statuses.map((s) => ({ value: s.id, label: s.name }))}
        onChange={(v) => setFilters({ ...filters, status_id: v })}
      />
      <MultiSelect
        label="Priority"
        values={filters.priority}
        options={PRIORITIES.map((p) => ({ value: p, label: PRIORITY_LABEL[p] }))}
        onChange={(v) => setFilters({ ...filters, priority: v as Priority[] })}
      />
      <MultiSelect
        label="Assignee"
        values={filters.assignee_id}
        options={[
          { value: "me", label: "Me" },
          { value: "none", label: "Unassigned" },
          ...members.map((m) => ({ value: m.user_id, label: m.name })),
        ]}
        onChange={(v) => setFilters({ ...filters, assignee_id: v })}
      />
      <MultiSelect
        label="Label"
        values={filters.label_id}
        options={labels.map((l) => ({ value: l.id, label: l.name }))}
        onChange={(v) => setFilters({ ...filters, label_id: v })}
      />
      <label className="inline">
        Due after
        <input
          type="date"
          value={filters.due_after}
          onChange={(e) => setFilters({ ...filters, due_after: e.target.value })}
        />
      </label>
      <label className="inline">
        Due before
        <input
          type="date"
          value={filters.due_before}
          onChange={(e) => setFilters({ ...filters, due_before: e.target.value })}
        />
      </label>
      {activeCount(filters) > 0 && (
        <button
          type="button"
          onClick={() => {
            setText("");
            setFilters({ ...EMPTY_FILTERS, sort: filters.sort });
          }}
        >
          Clear filters
        </button>
      )}
      {children}
    </search>
  );
}
