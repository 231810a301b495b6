/** A workspace's webhooks, for its owners and admins: register one (its signing secret is shown
 * once), see each with its events, project and state, and change, turn off and on, test, give a
 * new secret to or delete it. Each one's deliveries are on their own page (DeliveriesPage). */
import { type ReactNode, useRef, useState } from "react";
import { Link } from "react-router";
import type { Project, Workspace } from "../../api/types";
import { ErrorNote, formatDateTime, Modal, Spinner } from "../../app/ui";
import { OneTimeSecret } from "../settings/OneTimeSecret";
import { toast } from "../shell/toasts";
import { useProjects } from "../workspaces/api";
import { NoSuchWorkspace, useRouteWorkspace } from "../workspaces/routeWorkspace";
import {
  useCreateWebhook,
  useDeleteWebhook,
  useRotateSecret,
  useSendTest,
  useUpdateWebhook,
  useWebhooks,
  type Webhook,
  type WebhookWithSecret,
} from "./api";
import { explainError } from "./deliveries";
import { describePattern } from "./events";
import { WebhookForm } from "./WebhookForm";
import "../settings/settings.css";
import "./webhooks.css";

function isAdmin(workspace: Pick<Workspace, "role">): boolean {
  return workspace.role === "owner" || workspace.role === "admin";
}

/** The frame of both webhook pages: the workspace (found, and current), the trail back to its
 * settings, and the owners-and-admins rule. */
export function WebhooksFrame({
  title,
  trail,
  className = "",
  children,
}: {
  title: string;
  trail?: ReactNode;
  className?: string;
  children: (workspace: Workspace) => ReactNode;
}) {
  const { workspace, workspaces } = useRouteWorkspace();

  if (workspaces.isPending) return <Spinner />;
  if (workspaces.isError) return <ErrorNote error={workspaces.error} />;
  if (!workspace) return <NoSuchWorkspace />;
  return (
    <main className={`page settings-page webhooks-page ${className}`}>
      <p className="muted small">
        <Link to={`/w/${workspace.id}`}>{workspace.name}</Link> /{" "}
        <Link to={`/w/${workspace.id}/settings`}>Settings</Link> / {trail ?? "Webhooks"}
      </p>
      <h1>{title}</h1>
      {isAdmin(workspace) ? (
        children(workspace)
      ) : (
        <p className="form-error" role="alert">
          Only the workspace's owners and admins manage its webhooks.
        </p>
      )}
    </main>
  );
}

export function WebhooksPage() {
  return (
    <WebhooksFrame title="Webhooks">
      {(workspace) => <Webhooks workspace={workspace} />}
    </WebhooksFrame>
  );
}

interface ShownSecret {
  secret: WebhookWithSecret;
  rotated: boolean;
}

function Webhooks({ workspace }: { workspace: Workspace }) {
  const webhooks = useWebhooks(workspace.id, {});
  const projects = useProjects(workspace.id);
  const [adding, setAdding] = useState(false);
  const [shown, setShown] = useState<ShownSecret | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const list = webhooks.data ?? [];
  const formOpen = adding || (webhooks.isSuccess && list.length === 0 && !shown);

  return (
    <>
      <p className="muted webhooks-intro">
        A webhook sends {workspace.name}'s events to another system as they happen: a POST of JSON
        to its URL, signed per the{" "}
        <a href="https://www.standardwebhooks.com/" rel="noreferrer" target="_blank">
          Standard Webhooks
        </a>{" "}
        specification (<code>webhook-id</code>, <code>webhook-timestamp</code>,{" "}
        <code>webhook-signature</code>). A receiver checks the signature with the webhook's secret
        and answers 2xx. Anything else is tried again, later and later; a message still failing
        after a day (by default) turns the webhook off, and you are told.
      </p>
      {shown && (
        <OneTimeSecret
          key={`${shown.secret.id}-${shown.secret.updated_at}`}
          title={
            <>
              {shown.rotated ? "New signing secret for" : "Webhook created: signing secret for"}{" "}
              <strong className="webhook-url-inline">{shown.secret.url}</strong>
            </>
          }
          label="Signing secret"
          value={shown.secret.secret}
          once={
            shown.rotated
              ? "Copy it now: it will not be shown again. The old secret no longer signs anything."
              : "Copy it now: it will not be shown again."
          }
          onDone={() => {
            setShown(null);
            heading.current?.focus();
          }}
        >
          <p className="small">
            Verify each request with it, e.g. in Python{" "}
            <code>standardwebhooks.Webhook(secret).verify(body, headers)</code>.
          </p>
        </OneTimeSecret>
      )}
      <section aria-labelledby="webhooks-list-title" className="settings-card">
        <div className="webhooks-head">
          <h2 id="webhooks-list-title" ref={heading} tabIndex={-1}>
            Webhooks of {workspace.name}
          </h2>
          {!formOpen && (
            <button type="button" className="primary" onClick={() => setAdding(true)}>
              Add webhook
            </button>
          )}
        </div>
        {formOpen && (
          <CreateWebhook
            workspaceId={workspace.id}
            projects={projects.data ?? []}
            canCancel={list.length > 0 || Boolean(shown)}
            onCancel={() => setAdding(false)}
            onCreated={(secret) => {
              setAdding(false);
              setShown({ secret, rotated: false });
            }}
          />
        )}
        {webhooks.isPending ? (
          <Spinner label="Loading the webhooks" />
        ) : webhooks.isError ? (
          <ErrorNote error={webhooks.error} retry={() => void webhooks.refetch()} />
        ) : list.length === 0 ? (
          <p className="muted small">No webhooks yet.</p>
        ) : (
          <ul className="webhook-list" aria-labelledby="webhooks-list-title">
            {list.map((w) => (
              <WebhookItem
                key={w.id}
                webhook={w}
                workspaceId={workspace.id}
                projects={projects.data ?? []}
                onSecret={(secret) => setShown({ secret, rotated: true })}
                onDeleted={() => {
                  if (shown?.secret.id === w.id) setShown(null);
                  heading.current?.focus();
                }}
              />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function CreateWebhook({
  workspaceId,
  projects,
  canCancel,
  onCancel,
  onCreated,
}: {
  workspaceId: string;
  projects: readonly Project[];
  canCancel: boolean;
  onCancel: () => void;
  onCreated: (webhook: WebhookWithSecret) => void;
}) {
  const create = useCreateWebhook(workspaceId);
  return (
    <section aria-labelledby="webhook-new-title" className="webhook-new">
      <h3 id="webhook-new-title">New webhook</h3>
      <WebhookForm
        projects={projects}
        pending={create.isPending}
        error={create.error}
        submitLabel="Create webhook"
        onEdit={() => create.reset()}
        onCancel={canCancel ? onCancel : undefined}
        onSubmit={(body) => create.mutate(body, { onSuccess: onCreated })}
      />
    </section>
  );
}

function projectName(projects: readonly Project[], id: string | null): string {
  if (!id) return "All projects";
  return projects.find((p) => p.id === id)?.name ?? "A project you cannot see";
}

type Asking = "delete" | "rotate" | null;

function WebhookItem({
  webhook,
  workspaceId,
  projects,
  onSecret,
  onDeleted,
}: {
  webhook: Webhook;
  workspaceId: string;
  projects: readonly Project[];
  onSecret: (secret: WebhookWithSecret) => void;
  onDeleted: () => void;
}) {
  const update = useUpdateWebhook(workspaceId);
  const remove = useDeleteWebhook(workspaceId);
  const rotate = useRotateSecret(workspaceId);
  const test = useSendTest(workspaceId);
  const [editing, setEditing] = useState(false);
  const [asking, setAsking] = useState<Asking>(null);
  const name = webhook.url;
  const deliveries = `/w/${workspaceId}/settings/webhooks/${webhook.id}`;

  function toggle() {
    update.mutate(
      { id: webhook.id, body: { enabled: !webhook.enabled } },
      {
        onSuccess: (w) =>
          toast.info(
            w.enabled
              ? `The webhook to ${w.url} is on again: what waited is sent now.`
              : `The webhook to ${w.url} is off: events wait until it is on again.`,
          ),
        onError: (err) => toast.error(explainError(err, "The webhook was not changed.")),
      },
    );
  }

  function sendTest() {
    test.mutate(webhook.id, {
      onSuccess: () =>
        toast.info(
          webhook.enabled
            ? `A test ping is on its way to ${webhook.url}: see its deliveries.`
            : `A test ping waits until the webhook to ${webhook.url} is on again.`,
        ),
      onError: (err) => toast.error(explainError(err, "The test was not sent.")),
    });
  }

  return (
    <li className="webhook-item" data-enabled={webhook.enabled}>
      <div className="webhook-head">
        <code className="webhook-url">{webhook.url}</code>
        <EnabledBadge webhook={webhook} />
      </div>
      {webhook.description && <p className="webhook-description">{webhook.description}</p>}
      {!webhook.enabled && webhook.disabled_reason && (
        <p className="webhook-disabled-reason">
          <strong>Turned off:</strong> {webhook.disabled_reason}
        </p>
      )}
      <dl className="token-facts webhook-facts">
        <div className="webhook-events">
          <dt>Events</dt>
          <dd>
            <ul className="pattern-list" aria-label="Events">
              {webhook.event_types.map((p) => (
                <li key={p}>
                  <code title={describePattern(p)}>{p}</code>
                </li>
              ))}
            </ul>
          </dd>
        </div>
        <div>
          <dt>Project</dt>
          <dd>{projectName(projects, webhook.project_id)}</dd>
        </div>
        <div>
          <dt>Secret</dt>
          <dd>
            <code title="The secret's first characters">{webhook.secret_hint}</code>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <time dateTime={webhook.created_at}>{formatDateTime(webhook.created_at)}</time>
          </dd>
        </div>
      </dl>
      <div className="webhook-actions">
        <Link className="button" to={deliveries} aria-label={`Deliveries of ${name}`}>
          Deliveries
        </Link>
        <button
          type="button"
          className="small"
          aria-label={`Send test to ${name}`}
          disabled={test.isPending}
          onClick={sendTest}
        >
          Send test
        </button>
        <button
          type="button"
          className="small"
          aria-label={`Edit ${name}`}
          aria-expanded={editing}
          onClick={() => setEditing((e) => !e)}
        >
          Edit
        </button>
        <button
          type="button"
          className="small"
          aria-label={`${webhook.enabled ? "Disable" : "Enable"} ${name}`}
          disabled={update.isPending}
          onClick={toggle}
        >
          {webhook.enabled ? "Disable" : "Enable"}
        </button>
        <button
          type="button"
          className="small"
          aria-label={`Rotate secret of ${name}`}
          onClick={() => setAsking("rotate")}
        >
          Rotate secret
        </button>
        <button
          type="button"
          className="danger small"
          aria-label={`Delete ${name}`}
          onClick={() => setAsking("delete")}
        >
          Delete
        </button>
      </div>
      {editing && (
        <div className="webhook-edit">
          <WebhookForm
            webhook={webhook}
            projects={projects}
            pending={update.isPending}
            error={update.error}
            submitLabel="Save changes"
            onEdit={() => update.reset()}
            onCancel={() => {
              update.reset();
              setEditing(false);
            }}
            onSubmit={({ url, description, event_types }) =>
              update.mutate(
                { id: webhook.id, body: { url, description, event_types } },
                {
                  onSuccess: () => {
                    setEditing(false);
                    toast.info("The webhook was saved.");
                  },
                },
              )
            }
          />
        </div>
      )}
      <Modal
        open={asking !== null}
        onClose={() => setAsking(null)}
        title={asking === "rotate" ? "Rotate secret" : "Delete webhook"}
      >
        {asking === "rotate" && (
          <div className="confirm">
            <h2>Give the webhook a new secret?</h2>
            <p>
              Deliveries to <code className="webhook-url-inline">{webhook.url}</code> are signed
              with the new secret from the next attempt on; the current one (
              <code>{webhook.secret_hint}</code>) stops at once. Update the receiver right away.
            </p>
            <div className="settings-actions">
              <button type="button" onClick={() => setAsking(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="primary"
                disabled={rotate.isPending}
                onClick={() =>
                  rotate.mutate(webhook.id, {
                    onSuccess: onSecret,
                    onError: (err) => toast.error(explainError(err, "The secret was not changed.")),
                    onSettled: () => setAsking(null),
                  })
                }
              >
                Rotate secret
              </button>
            </div>
          </div>
        )}
        {asking === "delete" && (
          <div className="confirm">
            <h2>Delete this webhook?</h2>
            <p>
              Nothing more is sent to <code className="webhook-url-inline">{webhook.url}</code>, and
              its delivery log is deleted. This cannot be undone.
            </p>
            <div className="settings-actions">
              <button type="button" onClick={() => setAsking(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="primary danger-fill"
                disabled={remove.isPending}
                onClick={() =>
                  remove.mutate(webhook.id, {
                    onSuccess: () => {
                      toast.info(`The webhook to ${webhook.url} was deleted.`);
                      onDeleted();
                    },
                    onError: (err) =>
                      toast.error(explainError(err, "The webhook was not deleted.")),
                    onSettled: () => setAsking(null),
                  })
                }
              >
                Delete
              </button>
            </div>
          </div>
        )}
      </Modal>
    </li>
  );
}

export function EnabledBadge({ webhook }: { webhook: Webhook }) {
  return webhook.enabled ? (
    <span className="badge webhook-badge on">Enabled</span>
  ) : (
    <span className="badge webhook-badge off" title={webhook.disabled_reason ?? undefined}>
      Disabled
    </span>
  );
}
