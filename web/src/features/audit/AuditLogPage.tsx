/** A workspace's audit log, for its owners and admins: who did what, when and from where,
 * filtered by person, kind of action and days (kept in the URL), paged, and exported. */
import { type MouseEvent, useEffect } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { ApiError, api } from "../../api/client";
import { Empty, ErrorNote, formatDateTime, Spinner } from "../../app/ui";
import { setCurrentWorkspace } from "../shell/current";
import { useMembers, useWorkspaces } from "../workspaces/api";
import { ACTION_KINDS, describeAction, describeDetails } from "./actions";
import { type AuditFilters, exportUrl, useAuditLog } from "./api";
import "./audit.css";

const FILTERS = ["actor", "action", "from", "to"] as const;

export function AuditLogPage() {
  const { workspaceId = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const filters: AuditFilters = Object.fromEntries(
    FILTERS.map((name) => [name, search.get(name) ?? undefined]),
  );
  const workspaces = useWorkspaces();
  const workspace = workspaces.data?.find((w) => w.id === workspaceId);
  const members = useMembers(workspace ? workspaceId : undefined);
  const log = useAuditLog(workspaceId, filters);
  useEffect(() => {
    if (workspace) setCurrentWorkspace(workspace.id);
  }, [workspace]);

  function setFilter(name: (typeof FILTERS)[number], value: string) {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    setSearch(next, { replace: true });
  }

  if (workspaces.isPending) return <Spinner />;
  if (!workspace) {
    return (
      <main className="page">
        <Empty title="This workspace does not exist, or you are not a member.">
          <Link to="/">Go to your workspaces</Link>
        </Empty>
      </main>
    );
  }
  const forbidden = log.error instanceof ApiError && log.error.status === 403;
  const entries = log.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <main className="page audit-page">
      <p className="muted small">
        <Link to={`/w/${workspace.id}`}>{workspace.name}</Link> /{" "}
        <Link to={`/w/${workspace.id}/settings`}>Settings</Link> / Audit log
      </p>
      <h1>Audit log</h1>
      <p className="muted">
        Sign-ins, two-factor and password changes, API tokens and sessions of the members of{" "}
        {workspace.name}, and changes to its members and settings. Each entry is chained to the one
        before it, so an edited or deleted entry is found by <code>tasklane audit verify</code>.
      </p>
      {forbidden ? (
        <p className="form-error" role="alert">
          Only the workspace's owners and admins can read its audit log.
        </p>
      ) : (
        <>
          <form className="audit-filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
            <label>
              Person
              <select
                value={filters.actor ?? ""}
                onChange={(e) => setFilter("actor", e.target.value)}
              >
                <option value="">Everyone</option>
                {members.data?.map((m) => (
                  <option key={m.user_id} value={m.user_id}>
                    {m.name} ({m.email})
                  </option>
                ))}
              </select>
            </label>
            <label>
              Action
              <select
                value={filters.action ?? ""}
                onChange={(e) => setFilter("action", e.target.value)}
              >
                <option value="">All actions</option>
                {ACTION_KINDS.map((k) => (
                  <option key={k.value} value={k.value}>
                    {k.label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              From
              <input
                type="date"
                value={filters.from ?? ""}
                onChange={(e) => setFilter("from", e.target.value)}
              />
            </label>
            <label>
              To
              <input
                type="date"
                value={filters.to ?? ""}
                onChange={(e) => setFilter("to", e.target.value)}
              />
            </label>
            <span className="spacer" />
            <div className="audit-exports">
              <ExportLink workspaceId={workspace.id} filters={filters} format="csv" />
              <ExportLink workspaceId={workspace.id} filters={filters} format="jsonl" />
            </div>
          </form>
          {log.isPending ? (
            <Spinner label="Loading the audit log" />
          ) : log.isError ? (
            <ErrorNote error={log.error} retry={() => void log.refetch()} />
          ) : entries.length === 0 ? (
            <Empty title="No entries match these filters." />
          ) : (
            <div className="table-scroll">
              <table className="audit-table">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Who</th>
                    <th scope="col">Action</th>
                    <th scope="col">Address</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((e) => (
                    <tr key={e.seq} data-action={e.action}>
                      <td>
                        <time dateTime={e.at}>{formatDateTime(e.at)}</time>
                      </td>
                      <td>{e.actor_email ?? <span className="muted">unknown</span>}</td>
                      <td>{describeAction(e.action)}</td>
                      <td>{e.ip ?? ""}</td>
                      <td className="audit-details">{describeDetails(e)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {log.hasNextPage && (
            <button
              type="button"
              disabled={log.isFetchingNextPage}
              onClick={() => void log.fetchNextPage()}
            >
              {log.isFetchingNextPage ? "Loading…" : "Load more"}
            </button>
          )}
        </>
      )}
    </main>
  );
}

/** A download link for the export. The access cookie lives 15 minutes and a plain download
 * cannot refresh it: one small API read first renews the session when it has to. */
function ExportLink({
  workspaceId,
  filters,
  format,
}: {
  workspaceId: string;
  filters: AuditFilters;
  format: "csv" | "jsonl";
}) {
  const href = exportUrl(workspaceId, filters, format);
  async function download(event: MouseEvent<HTMLAnchorElement>) {
    if (event.currentTarget.dataset.ready === "1") return;
    event.preventDefault();
    const link = event.currentTarget;
    await api.GET("/api/v1/workspaces/{workspace_id}/audit-log", {
      params: { path: { workspace_id: workspaceId }, query: { limit: 1 } },
    });
    link.dataset.ready = "1";
    link.click();
    delete link.dataset.ready;
  }
  return (
    <a className="button" href={href} download onClick={(e) => void download(e)}>
      Export {format.toUpperCase()}
    </a>
  );
}
