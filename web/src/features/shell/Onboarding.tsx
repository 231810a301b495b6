/**
 * The first-run panel: what to do first, shown before there is a workspace (under the form that
 * creates one) and in a workspace that has no projects yet.
 */
import { Link } from "react-router";

export function Onboarding({
  workspaceId,
  canInvite = true,
  membersHref,
}: {
  /** Absent for a new account that has no workspace yet. */
  workspaceId?: string;
  canInvite?: boolean;
  /** Where members are invited (the workspace's settings, or its members section). */
  membersHref?: string;
}) {
  const started = workspaceId !== undefined;
  return (
    <section className="onboarding" aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">{started ? "Get your team started" : "How Tasklane works"}</h2>
      <ol className="onboarding-steps">
        <li className={started ? "done" : undefined}>
          <strong>Create a workspace</strong>
          <span className="muted">
            {started ? "Done." : "One per team or company: it holds the projects and the people."}
          </span>
        </li>
        <li>
          <strong>Create a project</strong>
          <span className="muted">
            A short key such as ENG numbers its tasks (ENG-1, ENG-2…); each project has a board, a
            list and its own workflow.
          </span>
          {started && (
            <button
              type="button"
              className="primary onboarding-action"
              onClick={focusCreateProject}
            >
              Create a project
            </button>
          )}
        </li>
        {canInvite && (
          <li>
            <strong>Invite people</strong>
            <span className="muted">
              Add your colleagues as members, then assign them tasks and mention them in comments.
            </span>
            {started &&
              membersHref &&
              (membersHref.startsWith("#") ? (
                <a className="onboarding-action" href={membersHref}>
                  Invite people
                </a>
              ) : (
                <Link className="onboarding-action" to={membersHref}>
                  Invite people
                </Link>
              ))}
          </li>
        )}
      </ol>
      <p className="onboarding-demo note small">
        <strong>Just looking around?</strong> Whoever runs the server can load sample data with{" "}
        <code>tasklane demo</code> (<code>make demo</code> in a source checkout): a separate
        workspace, “Acme Robotics”, with six people, four projects and their tasks. Sign in as{" "}
        <code>ada@demo.tasklane.dev</code> with the password <code>tasklane-demo</code> to look
        around.
      </p>
    </section>
  );
}

/** The create-project form sits under the panel on the workspace page: bring it to hand. */
function focusCreateProject() {
  const field = document.querySelector<HTMLInputElement>("form.create-project input");
  field?.scrollIntoView({ block: "center" });
  field?.focus();
}
