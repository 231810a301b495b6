/** An invitation link's page (`/invite/:token`): what it invites to, for anyone with the link;
 * the invited person accepts it signed in, or signs in or up first and comes back here. */
import { useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError } from "../../api/client";
import { ErrorNote, formatDateTime, Spinner } from "../../app/ui";
import { signOut, useMe } from "../auth/api";
import { setCurrentWorkspace } from "../shell/current";
import { toast } from "../shell/toasts";
import { messageOf } from "../tasks/api";
import "./invitations.css";
import {
  authLinks,
  type InvitationPreview,
  useAcceptInvitationLink,
  useInvitationPreview,
} from "./invitations";

export function InvitePage() {
  const { token = "" } = useParams();
  const preview = useInvitationPreview(token);
  if (preview.isPending) return <Spinner label="Opening the invitation" />;
  if (preview.isError) {
    const gone = preview.error instanceof ApiError && preview.error.status === 404;
    return (
      <Card title={gone ? "This invitation link does not work" : "The invitation did not open"}>
        {gone ? (
          <>
            <p>It was used already, replaced by a newer link, or it expired.</p>
            <p className="muted">Ask whoever invited you to send a new one.</p>
            <Link to="/">Go to Tasklane</Link>
          </>
        ) : (
          <ErrorNote error={preview.error} retry={() => void preview.refetch()} />
        )}
      </Card>
    );
  }
  return <Invitation token={token} invitation={preview.data} />;
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth">
      <section className="auth-card invite-card" aria-labelledby="invite-title">
        <div className="brand-mark" aria-hidden="true" />
        <h1 id="invite-title">{title}</h1>
        {children}
      </section>
    </main>
  );
}

function Invitation({ token, invitation }: { token: string; invitation: InvitationPreview }) {
  const me = useMe().data;
  const qc = useQueryClient();
  const navigate = useNavigate();
  const accept = useAcceptInvitationLink(token);
  const who = invitation.invited_by_name ?? "Someone";
  const links = authLinks(token, invitation.email);
  // Signed out, the visitor is taken to be the invited person.
  const mine = !me || me.email.toLowerCase() === invitation.email;
  const expires = (
    <p className="muted small">
      The invitation is for <strong>{invitation.email}</strong> and expires{" "}
      {formatDateTime(invitation.expires_at)}.
    </p>
  );
  return (
    <Card title={`Join ${invitation.workspace_name}`}>
      <p className="invite-summary">
        {who} invited {mine ? "you" : invitation.email} to join{" "}
        <strong>{invitation.workspace_name}</strong> as{" "}
        <span className="badge">{invitation.role}</span>
      </p>
      {expires}
      {!me ? (
        <>
          <Link className="button primary" to={links.signup}>
            Create an account to accept
          </Link>
          <p className="muted">
            Have an account with this address? <Link to={links.signin}>Sign in</Link>
          </p>
        </>
      ) : mine ? (
        <>
          <button
            type="button"
            className="primary"
            disabled={accept.isPending}
            onClick={() =>
              accept.mutate(undefined, {
                onSuccess: (workspace) => {
                  setCurrentWorkspace(workspace.id);
                  toast.info(`You joined ${workspace.name}.`);
                  navigate(`/w/${workspace.id}`, { replace: true });
                },
              })
            }
          >
            Accept and join {invitation.workspace_name}
          </button>
          {accept.isError && (
            <p className="form-error" role="alert">
              {messageOf(accept.error, "The invitation was not accepted.")}
            </p>
          )}
        </>
      ) : (
        <>
          <p role="note">
            You are signed in as <strong>{me.email}</strong>. Sign out, then sign in or sign up with{" "}
            {invitation.email} to accept.
          </p>
          <button
            type="button"
            onClick={async () => {
              await signOut();
              qc.clear();
              qc.setQueryData(["me"], null);
            }}
          >
            Sign out
          </button>
        </>
      )}
    </Card>
  );
}
