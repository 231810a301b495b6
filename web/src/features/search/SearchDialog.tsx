import { useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { ApiError } from "../../api/client";
import { Modal, Spinner } from "../../app/ui";
import { hitTarget, type SearchHit, searchable, useInstantSearch } from "./api";
import { Snippet } from "./Snippet";
import "./search.css";

/** The search box `/` opens: the best hits across the workspace while you type, and a way to
 * every result. */
export function SearchDialog({
  open,
  onClose,
  workspaceId,
}: {
  open: boolean;
  onClose: () => void;
  workspaceId: string | undefined;
}) {
  return (
    <Modal open={open} onClose={onClose} title="Search" className="palette search-dialog">
      {open && <SearchBody onClose={onClose} workspaceId={workspaceId} />}
    </Modal>
  );
}

function SearchBody({
  onClose,
  workspaceId,
}: {
  onClose: () => void;
  workspaceId: string | undefined;
}) {
  const navigate = useNavigate();
  const [query, setQuery] = useState("");
  const [debounced, setDebounced] = useState("");
  const [active, setActive] = useState(0);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(query), 120);
    return () => clearTimeout(t);
  }, [query]);
  const results = useInstantSearch(workspaceId, debounced);
  const hits = searchable(debounced) ? (results.data?.items ?? []) : [];
  const total = hits.length + (searchable(query) ? 1 : 0);
  const clamped = Math.min(active, Math.max(0, total - 1));

  const open = (hit: SearchHit) => {
    onClose();
    navigate(hitTarget(hit));
  };
  const openAll = () => {
    if (!workspaceId || !searchable(query)) return;
    onClose();
    navigate(`/w/${workspaceId}/search?q=${encodeURIComponent(query.trim())}`);
  };
  const optionId = (i: number) => `search-option-${i}`;

  return (
    <div className="palette-body">
      <input
        autoFocus
        type="search"
        role="combobox"
        aria-expanded={total > 0}
        aria-controls="search-results"
        aria-activedescendant={total > 0 ? optionId(clamped) : undefined}
        aria-label="Search tasks and comments"
        placeholder="Search tasks and comments…"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((clamped + 1) % Math.max(1, total));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((clamped - 1 + total) % Math.max(1, total));
          } else if (e.key === "Enter") {
            e.preventDefault();
            const hit = hits[clamped];
            if (hit) open(hit);
            else openAll();
          }
        }}
      />
      <div id="search-results" role="listbox" aria-label="Results" className="search-hits">
        {hits.map((hit, i) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the input above handles the keys
          <div
            key={`${hit.task_id}-${hit.comment_id ?? ""}`}
            id={optionId(i)}
            role="option"
            tabIndex={-1}
            aria-selected={i === clamped}
            className={i === clamped ? "active" : undefined}
            onMouseEnter={() => setActive(i)}
            onClick={() => open(hit)}
          >
            <HitLine hit={hit} />
          </div>
        ))}
        {searchable(query) && (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the input above handles the keys
          <div
            id={optionId(hits.length)}
            role="option"
            tabIndex={-1}
            aria-selected={clamped === hits.length}
            className={`search-all${clamped === hits.length ? " active" : ""}`}
            onMouseEnter={() => setActive(hits.length)}
            onClick={openAll}
          >
            All results for “{query.trim()}”
          </div>
        )}
      </div>
      <p className="search-status muted" aria-live="polite">
        {results.isFetching && searchable(debounced) ? (
          <Spinner label="Searching" />
        ) : results.error instanceof ApiError && results.error.status === 422 ? (
          <span className="query-problem" role="alert">
            {results.error.problem.errors?.[0]?.message ?? results.error.message}
          </span>
        ) : searchable(debounced) && results.isSuccess && hits.length === 0 ? (
          "No task or comment matches."
        ) : (
          'Words, "a phrase", -word to leave out, OR for either.'
        )}
      </p>
    </div>
  );
}

/** One hit: the task's key and title, where the words were found, and the passage. */
export function HitLine({ hit }: { hit: SearchHit }) {
  return (
    <span className="search-hit">
      <span className="search-hit-head">
        <span className="task-key">{hit.task_key}</span>
        <span className="search-hit-title">{hit.title}</span>
        {hit.kind === "comment" && <span className="search-kind">comment</span>}
      </span>
      <Snippet hit={hit} />
    </span>
  );
}
