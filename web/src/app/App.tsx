import { QueryClientProvider, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useEffect } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { setSignedOutHandler } from "../api/client";
import { useMe } from "../features/auth/api";
import { safeNext, signInFor } from "../features/auth/next";
import { ProjectPage } from "../features/projects/ProjectPage";
import { prefetchRoute } from "../features/projects/prefetch";
import { LiveProvider } from "../features/realtime/useLive";
import { Shell } from "../features/shell/Shell";
import { ErrorBoundary } from "./ErrorBoundary";
import { makeQueryClient } from "./queryClient";
import { Spinner } from "./ui";

const AuthPage = lazy(() =>
  import("../features/auth/AuthPage").then((m) => ({ default: m.AuthPage })),
);
const TaskPage = lazy(() =>
  import("../features/tasks/TaskPage").then((m) => ({ default: m.TaskPage })),
);
const OldTaskPage = lazy(() =>
  import("../features/tasks/TaskPage").then((m) => ({ default: m.OldTaskPage })),
);
const Home = lazy(() =>
  import("../features/workspaces/WorkspaceHome").then((m) => ({ default: m.Home })),
);
const WorkspaceHome = lazy(() =>
  import("../features/workspaces/WorkspaceHome").then((m) => ({ default: m.WorkspaceHome })),
);
const InvitePage = lazy(() =>
  import("../features/workspaces/InvitePage").then((m) => ({ default: m.InvitePage })),
);

const AccountPage = lazy(() =>
  import("../features/settings/AccountPage").then((m) => ({ default: m.AccountPage })),
);
const WorkspaceSettings = lazy(() =>
  import("../features/settings/WorkspaceSettings").then((m) => ({
    default: m.WorkspaceSettings,
  })),
);

const InboxPage = lazy(() =>
  import("../features/notifications/InboxPage").then((m) => ({ default: m.InboxPage })),
);

const WebhooksPage = lazy(() =>
  import("../features/webhooks/WebhooksPage").then((m) => ({ default: m.WebhooksPage })),
);
const DeliveriesPage = lazy(() =>
  import("../features/webhooks/DeliveriesPage").then((m) => ({ default: m.DeliveriesPage })),
);

const SearchPage = lazy(() =>
  import("../features/search/SearchPage").then((m) => ({ default: m.SearchPage })),
);

const MyTasksPage = lazy(() =>
  import("../features/tasks/MyTasksPage").then((m) => ({ default: m.MyTasksPage })),
);

const ViewPage = lazy(() =>
  import("../features/views/ViewPage").then((m) => ({ default: m.ViewPage })),
);

const WorkspaceInsightsPage = lazy(() =>
  import("../features/insights/InsightsPage").then((m) => ({
    default: m.WorkspaceInsightsPage,
  })),
);

const AuditLogPage = lazy(() =>
  import("../features/audit/AuditLogPage").then((m) => ({ default: m.AuditLogPage })),
);

const queryClient = makeQueryClient();

prefetchRoute(queryClient, window.location.pathname);

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <ErrorBoundary>
          <Suspense fallback={<Spinner />}>
            <Root />
          </Suspense>
        </ErrorBoundary>
      </BrowserRouter>
    </QueryClientProvider>
  );
}

function Root() {
  const qc = useQueryClient();
  const me = useMe();
  const location = useLocation();
  const signedOut = useCallback(() => {
    qc.setQueryData(["me"], null);
  }, [qc]);
  useEffect(() => setSignedOutHandler(signedOut), [signedOut]);

  // Signed in on a sign-in page (just now, or with an old tab): on to where they were going.
  const afterSignIn = safeNext(new URLSearchParams(location.search).get("next"));

  if (me.isPending) return <Spinner label="Starting Tasklane" />;
  if (!me.data) {
    return (
      <Routes>
        <Route path="/signin" element={<AuthPage mode="signin" />} />
        <Route path="/signup" element={<AuthPage mode="signup" />} />
        <Route path="/invite/:token" element={<InvitePage />} />
        <Route
          path="*"
          element={<Navigate to={signInFor(location.pathname + location.search)} replace />}
        />
      </Routes>
    );
  }
  return (
    <LiveProvider onSignedOut={signedOut}>
      <Shell me={me.data}>
        {/* A page that fails (or whose chunk does not load) leaves the sidebar working; going
            to another page clears the error. */}
        <ErrorBoundary resetKey={location.pathname}>
          <Suspense fallback={<Spinner />}>
            <Routes>
              <Route path="/" element={<Home />} />
              <Route path="/signin" element={<Navigate to={afterSignIn} replace />} />
              <Route path="/signup" element={<Navigate to={afterSignIn} replace />} />
              <Route path="/w/:workspaceId" element={<WorkspaceHome />} />
              <Route path="/w/:workspaceId/settings" element={<WorkspaceSettings />} />
              <Route path="/w/:workspaceId/settings/webhooks" element={<WebhooksPage />} />
              <Route
                path="/w/:workspaceId/settings/webhooks/:webhookId"
                element={<DeliveriesPage />}
              />
              <Route path="/w/:workspaceId/audit" element={<AuditLogPage />} />
              <Route path="/w/:workspaceId/search" element={<SearchPage />} />
              <Route path="/w/:workspaceId/tasks" element={<MyTasksPage />} />
              <Route path="/w/:workspaceId/insights" element={<WorkspaceInsightsPage />} />
              <Route path="/views/:viewId" element={<ViewPage />} />
              <Route path="/account" element={<AccountPage />} />
              <Route path="/inbox" element={<InboxPage />} />
              <Route path="/invite/:token" element={<InvitePage />} />
              <Route path="/p/:projectId/:view/:taskRef?" element={<ProjectPage me={me.data} />} />
              <Route path="/p/:projectId" element={<ProjectPage me={me.data} />} />
              <Route path="/t/:taskRef" element={<OldTaskPage />} />
              {/* Workspace slugs never take a top-level word (the server reserves them). */}
              <Route path="/:workspaceSlug/t/:taskRef" element={<TaskPage me={me.data} />} />
              <Route path="*" element={<NotFoundPage />} />
            </Routes>
          </Suspense>
        </ErrorBoundary>
      </Shell>
    </LiveProvider>
  );
}

function NotFoundPage() {
  return (
    <main className="page">
      <h1>Page not found</h1>
      <p className="muted">This address does not lead anywhere in Tasklane.</p>
    </main>
  );
}
