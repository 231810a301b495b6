/** The form that registers a webhook or changes one: its URL, description, project (chosen once,
 * at creation) and the events it sends, as a checklist grouped by family. */
import { type FormEvent, useId, useState } from "react";
import type { Project } from "../../api/types";
import type { Webhook, WebhookCreate } from "./api";
import { explainError, fieldMessage } from "./deliveries";
import {
  EMPTY,
  FAMILIES,
  isEmpty,
  isSent,
  parsePatterns,
  type Selection,
  setAll,
  setFamily,
  setType,
  toPatterns,
} from "./events";

export interface WebhookFormValues {
  url: string;
  description: string;
  project_id: string | null;
  event_types: string[];
}

export function WebhookForm({
  webhook,
  projects,
  pending,
  error,
  submitLabel,
  onSubmit,
  onCancel,
  onEdit,
}: {
  /** The webhook being changed; none to register a new one. */
  webhook?: Webhook;
  projects: readonly Project[];
  pending: boolean;
  error: unknown;
  submitLabel: string;
  onSubmit: (values: WebhookCreate) => void;
  onCancel?: () => void;
  /** Called on any change (to clear the last error). */
  onEdit?: () => void;
}) {
  const ids = useId();
  const [url, setUrl] = useState(webhook?.url ?? "");
  const [description, setDescription] = useState(webhook?.description ?? "");
  const [projectId, setProjectId] = useState(webhook?.project_id ?? "");
  const [selection, setSelection] = useState<Selection>(
    webhook ? parsePatterns(webhook.event_types) : EMPTY,
  );
  const [noEvents, setNoEvents] = useState(false);
  const [noUrl, setNoUrl] = useState(false);
  const urlError = noUrl ? "Enter the address to send events to." : fieldMessage(error, "url");
  const eventsError = fieldMessage(error, "event_types");
  const projectError = fieldMessage(error, "project_id");
  const descriptionError = fieldMessage(error, "description");
  const otherError =
    Boolean(error) && !urlError && !eventsError && !projectError && !descriptionError;
  const project = projects.find((p) => p.id === webhook?.project_id);

  function change(next: Selection) {
    setSelection(next);
    setNoEvents(false);
  }

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setNoUrl(!url.trim());
    setNoEvents(isEmpty(selection));
    if (!url.trim() || isEmpty(selection)) return;
    onSubmit({
      url: url.trim(),
      description: description.trim(),
      project_id: projectId || null,
      event_types: toPatterns(selection),
    });
  }

  return (
    <form className="settings-form webhook-form" onSubmit={submit} onChange={onEdit} noValidate>
      <div className="token-field">
        <label>
          Payload URL
          <input
            name="url"
            type="url"
            required
            maxLength={2000}
            value={url}
            onChange={(e) => {
              setUrl(e.target.value);
              setNoUrl(false);
            }}
            autoComplete="off"
            spellCheck={false}
            placeholder="https://example.com/hooks/tasklane"
            aria-describedby={`${ids}-url-hint`}
            aria-invalid={urlError ? true : undefined}
          />
        </label>
        <span id={`${ids}-url-hint`} className="hint">
          Tasklane POSTs each event here as JSON, signed per the Standard Webhooks specification.
          The address must be public.
        </span>
        {urlError && <p className="form-error">{urlError}</p>}
      </div>
      <div className="token-field">
        <label>
          Description
          <input
            name="description"
            maxLength={500}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            autoComplete="off"
            placeholder="e.g. Sync to the data warehouse"
            aria-invalid={descriptionError ? true : undefined}
          />
        </label>
        {descriptionError && <p className="form-error">{descriptionError}</p>}
      </div>
      <div className="token-field">
        {webhook ? (
          <>
            <span className="field-name">Project</span>
            <span>{webhook.project_id ? (project?.name ?? "A project") : "All projects"}</span>
            <span className="hint">Chosen when the webhook was made.</span>
          </>
        ) : (
          <>
            <label>
              Project
              <select
                name="project"
                value={projectId}
                onChange={(e) => setProjectId(e.target.value)}
                aria-describedby={`${ids}-project-hint`}
                aria-invalid={projectError ? true : undefined}
              >
                <option value="">All projects</option>
                {projects.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                    {p.archived ? " (archived)" : ""}
                  </option>
                ))}
              </select>
            </label>
            <span id={`${ids}-project-hint`} className="hint">
              Only this project's events, or the whole workspace's. It cannot be changed later.
            </span>
            {projectError && <p className="form-error">{projectError}</p>}
          </>
        )}
      </div>
      <EventChecklist
        selection={selection}
        onChange={change}
        error={noEvents ? "Choose at least one event." : eventsError}
      />
      {otherError && (
        <p className="form-error" role="alert">
          {explainError(error, "The webhook was not saved.")}
        </p>
      )}
      <div className="settings-actions">
        <button type="submit" className="primary" disabled={pending}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function EventChecklist({
  selection,
  onChange,
  error,
}: {
  selection: Selection;
  onChange: (next: Selection) => void;
  error: string | null;
}) {
  const ids = useId();
  return (
    <fieldset
      className="event-checklist"
      aria-describedby={error ? `${ids}-error` : undefined}
      aria-invalid={error ? true : undefined}
    >
      <legend>Events</legend>
      <p className="hint">
        Single events, a whole family (<code>task.*</code>) or everything (<code>*</code>). A family
        and everything also send the events Tasklane adds later.
      </p>
      <label className="inline event-everything">
        <input
          type="checkbox"
          checked={selection.all}
          onChange={(e) => onChange(setAll(selection, e.target.checked))}
        />
        Everything <code>*</code>
      </label>
      <div className="event-families">
        {FAMILIES.map((f) => {
          const whole = selection.all || selection.families.has(f.family);
          return (
            <fieldset key={f.family} className="event-family" disabled={selection.all}>
              <legend>{f.label}</legend>
              <label className="inline event-whole">
                <input
                  type="checkbox"
                  checked={whole}
                  onChange={(e) => onChange(setFamily(selection, f.family, e.target.checked))}
                />
                All of them <code>{f.family}.*</code>
              </label>
              {f.types.map((t) => (
                <label key={t.type} className="inline event-type" title={t.type}>
                  <input
                    type="checkbox"
                    value={t.type}
                    checked={isSent(selection, t.type)}
                    disabled={whole}
                    onChange={(e) => onChange(setType(selection, t.type, e.target.checked))}
                  />
                  {t.label}
                </label>
              ))}
            </fieldset>
          );
        })}
      </div>
      {selection.other.length > 0 && !selection.all && (
        <p className="hint">
          Also sent, unknown to this page: <code>{selection.other.join(", ")}</code>
        </p>
      )}
      {error && (
        <p id={`${ids}-error`} className="form-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
