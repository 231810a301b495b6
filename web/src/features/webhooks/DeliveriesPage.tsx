/** One webhook's deliveries, newest first: each message's status, attempts, answer and timing,
 * filtered by status and paged; a row opens the request as sent (headers, JSON body) and the
 * answer, and sends it again. Failed deliveries of a time window are replayed from here, and a
 * test ping is sent. Read again every few seconds while any delivery is pending. */
import { type FormEvent, useId, useState } from "react";
import { Link, useParams } from "react-router";
import type { Workspace } from "../../api/types";
import { Empty, ErrorNote, formatDateTime, Spinner } from "../../app/ui";
import { toast } from "../shell/toasts";
import {
  type Delivery,
  hasPending,
  useDeliveries,
  useDelivery,
  useRedeliver,
  useReplay,
  useSendTest,
  useUpdateWebhook,
  useWebhooks,
  type Webhook,
} from "./api";
import {
  type DeliveryStatus,
  explainError,
  fieldMessage,
  formatDuration,
  headerLines,
  localInputValue,
  prettyBody,
  prettyJson,
  replayWindow,
  STATUSES,
  statusLabel,
  untilText,
} from "./deliveries";
import { EnabledBadge, WebhooksFrame } from "./WebhooksPage";

export function DeliveriesPage() {
  const { workspaceId = "" } = useParams();
  return (
    <WebhooksFrame
      title="Deliveries"
      className="deliveries-page"
      trail={
        <>
          <Link to={`/w/${workspaceId}/settings/webhooks`}>Webhooks</Link> / Deliveries
        </>
      }
    >
      {(workspace) => <Deliveries workspace={workspace} />}
    </WebhooksFrame>
  );
}

function Deliveries({ workspace }: { workspace: Workspace }) {
  const { webhookId = "" } = useParams();
  const [status, setStatus] = useState<DeliveryStatus | undefined>(undefined);
  const deliveries = useDeliveries(webhookId, status);
  const pending = hasPending(deliveries.data);
  // A failing delivery may turn its webhook off: read it again while any is pending.
  const webhooks = useWebhooks(workspace.id, { poll: pending });
  const webhook = webhooks.data?.find((w) => w.id === webhookId);
  const test = useSendTest(workspace.id);
  const items = deliveries.data?.pages.flatMap((p) => p.items) ?? [];

  if (webhooks.isPending) return <Spinner label="Loading the webhook" />;
  if (webhooks.isError) return <ErrorNote error={webhooks.error} />;
  if (!webhook) {
    return (
      <Empty title="This webhook does not exist any more.">
        <Link to={`/w/${workspace.id}/settings/webhooks`}>See the workspace's webhooks</Link>
      </Empty>
    );
  }
  return (
    <>
      <WebhookSummary webhook={webhook} workspaceId={workspace.id} />
      <section aria-labelledby="deliveries-title" className="settings-card">
        <h2 id="deliveries-title">Deliveries</h2>
        <div className="deliveries-toolbar">
          <label>
            Status
            <select
              value={status ?? ""}
              onChange={(e) => setStatus((e.target.value || undefined) as DeliveryStatus)}
            >
              <option value="">All</option>
              {STATUSES.map((s) => (
                <option key={s.status} value={s.status}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <span className="spacer" />
          <button
            type="button"
            disabled={deliveries.isFetching}
            onClick={() => void deliveries.refetch()}
          >
            Refresh
          </button>
          <button
            type="button"
            className="primary"
            disabled={test.isPending}
            onClick={() =>
              test.mutate(webhook.id, {
                onError: (err) => toast.error(explainError(err, "The test was not sent.")),
              })
            }
          >
            Send test
          </button>
        </div>
        <Replay webhookId={webhook.id} />
        {pending && (
          <p className="muted small" role="status">
            Some deliveries are pending; this list refreshes every few seconds.
          </p>
        )}
        {deliveries.isPending ? (
          <Spinner label="Loading the deliveries" />
        ) : deliveries.isError ? (
          <ErrorNote error={deliveries.error} retry={() => void deliveries.refetch()} />
        ) : items.length === 0 ? (
          <Empty title={status ? `No ${status} deliveries.` : "Nothing was sent yet."}>
            {!status && "Deliveries show here as events happen; Send test sends a ping now."}
          </Empty>
        ) : (
          <div className="table-scroll">
            <table className="deliveries-table">
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Response</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Time</th>
                  <th scope="col">Next attempt</th>
                </tr>
              </thead>
              <tbody>
                {items.map((d) => (
                  <DeliveryRow key={d.id} webhookId={webhook.id} delivery={d} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {deliveries.hasNextPage && (
          <button
            type="button"
            className="load-more"
            disabled={deliveries.isFetchingNextPage}
            onClick={() => void deliveries.fetchNextPage()}
          >
            {deliveries.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        )}
      </section>
    </>
  );
}

function WebhookSummary({ webhook, workspaceId }: { webhook: Webhook; workspaceId: string }) {
  const update = useUpdateWebhook(workspaceId);
  return (
    <section aria-label="Webhook" className="settings-card webhook-summary">
      <div className="webhook-head">
        <code className="webhook-url">{webhook.url}</code>
        <EnabledBadge webhook={webhook} />
      </div>
      {webhook.description && <p className="webhook-description">{webhook.description}</p>}
      <p className="small muted">
        Events: <code>{webhook.event_types.join(", ")}</code>
      </p>
      {!webhook.enabled && (
        <div className="webhook-disabled-reason">
          <p>
            <strong>Turned off</strong>
            {webhook.disabled_reason ? `: ${webhook.disabled_reason}` : "."} New events and tests
            wait until it is on again.
          </p>
          <button
            type="button"
            className="small"
            disabled={update.isPending}
            onClick={() =>
              update.mutate(
                { id: webhook.id, body: { enabled: true } },
                {
                  onSuccess: () => toast.info("The webhook is on again: what waited is sent now."),
                  onError: (err) => toast.error(explainError(err, "The webhook was not changed.")),
                },
              )
            }
          >
            Enable
          </button>
        </div>
      )}
    </section>
  );
}

/** Send again the deliveries that failed for good in a window (the last day by default). */
function Replay({ webhookId }: { webhookId: string }) {
  const replay = useReplay(webhookId);
  const ids = useId();
  const [since, setSince] = useState(() => localInputValue(new Date(Date.now() - 86_400_000)));
  const [until, setUntil] = useState(() => localInputValue(new Date(Date.now() + 60_000)));
  const range = replayWindow(since, until);
  const problem =
    range === null ? "Choose a start before the end." : fieldMessage(replay.error, "until");

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!range) return;
    replay.mutate(range, {
      onSuccess: ({ queued }) =>
        toast.info(
          queued === 0
            ? "No delivery failed in that time: nothing was sent again."
            : `${queued} failed ${queued === 1 ? "delivery is" : "deliveries are"} sent again.`,
        ),
      onError: (err) => toast.error(explainError(err, "Nothing was replayed.")),
    });
  }

  return (
    <details className="replay">
      <summary>Replay failed deliveries</summary>
      <form className="replay-form" onSubmit={submit} aria-describedby={`${ids}-hint`}>
        <p id={`${ids}-hint`} className="hint">
          Sends again, in order, every delivery that failed for good in this time (at most 1,000).
        </p>
        <div className="replay-fields">
          <label>
            From
            <input
              type="datetime-local"
              value={since}
              onChange={(e) => setSince(e.target.value)}
              required
            />
          </label>
          <label>
            Until
            <input
              type="datetime-local"
              value={until}
              onChange={(e) => setUntil(e.target.value)}
              required
              aria-invalid={problem ? true : undefined}
            />
          </label>
          <button type="submit" disabled={!range || replay.isPending}>
            Replay failed deliveries
          </button>
        </div>
        {problem && <p className="form-error">{problem}</p>}
      </form>
    </details>
  );
}

function DeliveryRow({ webhookId, delivery: d }: { webhookId: string; delivery: Delivery }) {
  const [open, setOpen] = useState(false);
  const ids = useId();
  return (
    <>
      <tr className={open ? "open" : undefined} data-status={d.status}>
        <td>
          <button
            type="button"
            className="link delivery-toggle"
            aria-expanded={open}
            aria-controls={`${ids}-detail`}
            onClick={() => setOpen((o) => !o)}
          >
            <span aria-hidden="true" className="chevron">
              {open ? "▾" : "▸"}
            </span>
            <code>{d.event_type}</code>
          </button>
          {d.manual && d.event_type !== "ping" && <span className="badge">manual</span>}
        </td>
        <td>
          <StatusBadge status={d.status} />
        </td>
        <td>{d.attempts}</td>
        <td>
          {d.response_status ?? (
            <span className="muted" title={d.error ?? undefined}>
              {d.error ? "No answer" : "—"}
            </span>
          )}
        </td>
        <td>{formatDuration(d.duration_ms)}</td>
        <td>
          <time dateTime={d.created_at}>{formatDateTime(d.created_at)}</time>
        </td>
        <td>
          {d.status === "pending" && d.next_attempt_at ? (
            <time dateTime={d.next_attempt_at} title={formatDateTime(d.next_attempt_at)}>
              {untilText(d.next_attempt_at)}
            </time>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
      </tr>
      {open && (
        <tr className="delivery-detail-row">
          <td colSpan={7} id={`${ids}-detail`}>
            <DeliveryDetailView webhookId={webhookId} delivery={d} />
          </td>
        </tr>
      )}
    </>
  );
}

function StatusBadge({ status }: { status: string }) {
  return <span className={`badge delivery-status ${status}`}>{statusLabel(status)}</span>;
}

function DeliveryDetailView({ webhookId, delivery }: { webhookId: string; delivery: Delivery }) {
  const detail = useDelivery(webhookId, delivery, true);
  const redeliver = useRedeliver(webhookId);
  const ids = useId();
  if (detail.isPending) return <Spinner label="Loading the delivery" />;
  if (detail.isError) {
    return <ErrorNote error={detail.error} retry={() => void detail.refetch()} />;
  }
  const d = detail.data;
  const headers = headerLines(d.request_headers);
  const body = prettyBody(d.response_body);
  return (
    <div className="delivery-detail">
      <div className="delivery-detail-head">
        <p className="small muted">
          Message <code>{d.message_id}</code>
          {d.event_seq !== null && <> · event {d.event_seq}</>}
          {d.first_attempt_at && (
            <>
              {" "}
              · first tried{" "}
              <time dateTime={d.first_attempt_at}>{formatDateTime(d.first_attempt_at)}</time>
            </>
          )}
          {d.delivered_at && (
            <>
              {" "}
              · delivered <time dateTime={d.delivered_at}>{formatDateTime(d.delivered_at)}</time>
            </>
          )}
        </p>
        <button
          type="button"
          className="small"
          disabled={redeliver.isPending}
          onClick={() =>
            redeliver.mutate(d.id, {
              onSuccess: () => toast.info(`The ${d.event_type} message is sent again.`),
              onError: (err) => toast.error(explainError(err, "It was not sent again.")),
            })
          }
        >
          Redeliver
        </button>
      </div>
      <div className="delivery-columns">
        <section aria-labelledby={`${ids}-request`}>
          <h3 id={`${ids}-request`}>Request</h3>
          {headers.length === 0 ? (
            <p className="small muted">Not sent yet.</p>
          ) : (
            <dl className="delivery-headers" aria-label="Request headers">
              {headers.map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>
                    <code>{value}</code>
                  </dd>
                </div>
              ))}
            </dl>
          )}
          <h4>Body</h4>
          <Scrolling label="Request body">{prettyJson(d.payload)}</Scrolling>
        </section>
        <section aria-labelledby={`${ids}-response`}>
          <h3 id={`${ids}-response`}>Response</h3>
          <p className="delivery-answer">
            {d.response_status !== null ? (
              <>
                Status <strong>{d.response_status}</strong>
              </>
            ) : (
              <span className="muted">No answer</span>
            )}
            {d.duration_ms !== null && <> in {formatDuration(d.duration_ms)}</>}
          </p>
          {d.error && (
            <p className="delivery-error">
              <strong>Error:</strong> {d.error}
            </p>
          )}
          {d.response_status !== null && (
            <>
              <h4>Body</h4>
              {body ? (
                <Scrolling label="Response body">{body}</Scrolling>
              ) : (
                <p className="small muted">Empty.</p>
              )}
            </>
          )}
        </section>
      </div>
    </div>
  );
}

/** A body that may be long: scrolls in its own box, which the keyboard can reach and scroll. */
function Scrolling({ label, children }: { label: string; children: string }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must be reachable by keyboard (axe: scrollable-region-focusable)
    <section className="delivery-body" tabIndex={0} aria-label={label}>
      <pre>{children}</pre>
    </section>
  );
}
