import { Link, useNavigate } from "react-router";
import { toast } from "../shell/toasts";
import { messageOf } from "../tasks/api";
import "./invitations.css";
import {
  useAnswerInvitation,
  useCancelInvitation,
  useMyInvitations,
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
                invited by {i.invited_by_name ?? "a former member"}
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
