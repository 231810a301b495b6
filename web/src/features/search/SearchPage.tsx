import { useEffect, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { Empty, ErrorNote, Spinner } from "../../app/ui";
import { QueryInput } from "../query/QueryInput";
import { useWorkspaceVocabulary } from "../query/vocabulary";
import { hitTarget, searchable, useSearchPages } from "./api";
import { HitLine } from "./SearchDialog";
import "./search.css";

/** Every result of a search across the workspace, a page at a time: `/w/<id>/search?q=`. */
export function SearchPage() {
  const { workspaceId } = useParams();
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const [draft, setDraft] = useState(q);
  // Field terms (`assignee:me status:started`) narrow the hits: suggested as in task lists,
  // once the box is used.
  const [suggesting, setSuggesting] = useState(false);
  const vocabulary = useWorkspaceVocabulary(workspaceId, { enabled: suggesting });
  useEffect(() => setDraft(q), [q]);
  const pages = useSearchPages(workspaceId, q);
  const hits = pages.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <main className="page search-page">
      <h1>Search</h1>
      <search>
        <form
          className="search-form"
          onSubmit={(e) => {
            e.preventDefault();
            setParams({ q: draft.trim() });
          }}
        >
          <QueryInput
            type="search"
            aria-label="Search tasks and comments"
            value={draft}
            onChange={setDraft}
            onFocus={() => setSuggesting(true)}
            vocabulary={vocabulary}
            wrapperClassName="search-query"
            placeholder="Search tasks and comments…"
          />
          <button type="submit" disabled={!searchable(draft)}>
            Search
          </button>
        </form>
      </search>
      {!searchable(q) ? (
        <Empty title="Search every project you can see">
          Words (all of them), "a phrase", -word to leave out, OR between two words for either.
        </Empty>
      ) : pages.isPending ? (
        <Spinner label="Searching" />
      ) : pages.isError ? (
        <ErrorNote error={pages.error} />
      ) : hits.length === 0 ? (
        <Empty title="Nothing found">No task or comment you can see matches “{q}”.</Empty>
      ) : (
        <>
          <ol className="search-results" aria-label={`Results for ${q}`}>
            {hits.map((hit) => (
              <li key={`${hit.task_id}-${hit.comment_id ?? ""}`}>
                <Link to={hitTarget(hit)}>
                  <HitLine hit={hit} />
                </Link>
              </li>
            ))}
          </ol>
          {pages.hasNextPage && (
            <button
              type="button"
              disabled={pages.isFetchingNextPage}
              onClick={() => pages.fetchNextPage()}
            >
              {pages.isFetchingNextPage ? "Loading…" : "More results"}
            </button>
          )}
        </>
      )}
    </main>
  );
}
