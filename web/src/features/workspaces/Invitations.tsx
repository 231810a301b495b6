import { useEffect, useId, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import type { WorkspaceRole } from "../../api/types";
import { formatDateTime } from "../../app/ui";
import { toast } from "../shell/toasts";
import { messageOf } from "../tasks/api";
import "./invitations.css";
import { copyOrSelect } from "../../lib/clipboard";
import {
  invitableRoles,
  linkUrl,
  type NewInvitation,
  useAnswerInvitation,
  useCancelInvitation,
  useMyInvitations,
  useSendInvitation,
  useWorkspaceInvitations,
} from "./invitations";

/** The person's pending invitations, each to accept or decline. Nothing when there are none. */
export function MyInvitations() {
  const invitations = useMyInvitations();
  const answer = useAnswerInvitation();
  const navigate = useNavigate();
  const list = invitations.data ?? [];
  if (list.length === 0) return null;
  return (
    <section className="invitations" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      <ul>
        {list.map((i) => (
          <li key={i.id}>
            <span>
              {i.invited_by_name ?? "Someone"} invited you to <strong>{i.workspace_name}</strong> as{" "}
              {i.role}.
            </span>
            <span className="spacer" />
            <button
              type="button"
              className="primary"
              disabled={answer.isPending}
              onClick={() =>
                answer.mutate(
                  { invitation: i, accept: true },
                  {
                    onSuccess: () => {
                      toast.info(`You joined ${i.workspace_name}.`);
                      navigate(`/w/${i.workspace_id}`);
                    },
                    onError: (e) => toast.error(messageOf(e, "The invitation was not accepted.")),
                  },
                )
              }
            >
              Accept
            </button>
            <button
              type="button"
              disabled={answer.isPending}
              onClick={() =>
                answer.mutate(
                  { invitation: i, accept: false },
                  {
                    onError: (e) => toast.error(messageOf(e, "The invitation was not declined.")),
                  },
                )
              }
            >
              Decline
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** In the sidebar, under the workspace switcher: pending invitations, if any, lead home where
 * they are answered. */
export function InvitationsLink() {
  const invitations = useMyInvitations();
  const count = invitations.data?.length ?? 0;
  if (count === 0) return null;
  return (
    <Link to="/" className="invitations-link small">
      {count === 1 ? "1 invitation" : `${count} invitations`} to a workspace
    </Link>
  );
}

/** Invitations nobody has answered yet; an admin may take one back. */
export function PendingInvitations({ workspaceId }: { workspaceId: string }) {
  const invitations = useWorkspaceInvitations(workspaceId, true);
  const cancel = useCancelInvitation(workspaceId);
  const list = invitations.data ?? [];
  if (list.length === 0) return null;
  return (
    <>
      <h3 id="pending-title">Pending invitations</h3>
      <ul className="member-list pending-list" aria-labelledby="pending-title">
        {list.map((i) => (
          <li key={i.id}>
            <span>
              <strong>{i.email}</strong> <span className="badge">{i.role}</span>{" "}
              <span className="muted small">
                invited by {i.invited_by_name ?? "a former member"} · expires{" "}
                {formatDateTime(i.expires_at)}
              </span>
            </span>
            <span className="spacer" />
            <button
              type="button"
              disabled={cancel.isPending}
              aria-label={`Cancel the invitation of ${i.email}`}
              onClick={() =>
                cancel.mutate(i.id, {
                  onError: (e) => toast.error(messageOf(e, "The invitation was not cancelled.")),
                })
              }
            >
              Cancel
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

/** Invite by e-mail, then show the invitation's link this once, to copy and send. Nobody
 * invites with a role above their own (the server refuses it too). */
export function InviteForm({
  workspaceId,
  myRole,
}: {
  workspaceId: string;
  myRole: WorkspaceRole;
}) {
  const send = useSendInvitation(workspaceId);
  const [sent, setSent] = useState<NewInvitation | null>(null);
  const roles = invitableRoles(myRole);
  return (
    <>
      <form
        className="inline-form"
        aria-label="Invite a member"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          send.mutate(
            {
              email: String(data.get("email") ?? "").trim(),
              role: String(data.get("role")) as WorkspaceRole,
            },
            {
              onSuccess: (invitation) => {
                setSent(invitation);
                form.reset();
              },
              onError: (err) => toast.error(messageOf(err, "That person was not invited.")),
            },
          );
        }}
      >
        <label>
          E-mail
          <input name="email" type="email" required maxLength={320} placeholder="bob@example.com" />
        </label>
        <label>
          Role
          <select name="role" defaultValue="member">
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={send.isPending}>
          Invite
        </button>
      </form>
      {sent && <InvitationLink key={sent.id} invitation={sent} onDone={() => setSent(null)} />}
    </>
  );
}

/** A new invitation's link, shown this once: selected, with a button that copies it. */
function InvitationLink({ invitation, onDone }: { invitation: NewInvitation; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState("");
  const ids = useId();
  const url = linkUrl(invitation.link);

  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, []);

  async function copy() {
    setStatus(await copyOrSelect(url, field.current));
  }

  return (
    <section className="invite-link" aria-labelledby={`${ids}-title`}>
      <p id={`${ids}-title`} className="invite-link-title">
        <strong>{invitation.email}</strong> is invited as {invitation.role}
      </p>
      <p id={`${ids}-once`} className="invite-link-once">
        Send them this link. Copy it now: it is shown only this once. It works once and expires in 7
        days ({formatDateTime(invitation.expires_at)}).
      </p>
      <label htmlFor={`${ids}-url`}>Invitation link</label>
      <div className="invite-link-copy">
        <input
          id={`${ids}-url`}
          ref={field}
          readOnly
          value={url}
          spellCheck={false}
          autoComplete="off"
          aria-describedby={`${ids}-once`}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      <p role="status" className="small">
        {status}
      </p>
    </section>
  );
}
