/** Who watches a task, and the button to start or stop watching it. Its creator, assignees
 * and commenters watch it from the start; anyone who can see it may watch it. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { Task } from "../../api/types";
import { toast } from "../shell/toasts";
import { messageOf } from "./api";
import { taskKeys } from "./cache";

export function Watchers({ task, me }: { task: Task; me: string }) {
  const qc = useQueryClient();
  const key = taskKeys.watchers(task.key);
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/tasks/{task_ref}/watchers", {
          params: { path: { task_ref: task.id } },
          signal,
        }),
      ).then((p) => p.items),
  });
  const watching = query.data?.some((w) => w.user_id === me) ?? false;
  const toggle = useMutation({
    mutationFn: async (watch: boolean) => {
      if (watch) {
        await unwrap(
          api.POST("/api/v1/tasks/{task_ref}/watchers", {
            params: { path: { task_ref: task.id } },
            body: { user_id: me },
          }),
        );
      } else {
        await unwrap(
          api.DELETE("/api/v1/tasks/{task_ref}/watchers/{user_id}", {
            params: { path: { task_ref: task.id, user_id: me } },
          }),
        );
      }
    },
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
    onError: (e) => toast.error(messageOf(e, "Watching did not change.")),
  });
  const names = query.data?.map((w) => w.name) ?? [];
  return (
    <section className="watchers" aria-labelledby="watchers-title">
      <h3 id="watchers-title">Watchers</h3>
      <p className="muted">
        {query.isPending
          ? "…"
          : names.length
            ? `${names.length === 1 ? "1 person watches" : `${names.length} people watch`} this task: ${names.join(", ")}.`
            : "Nobody watches this task."}
      </p>
      <button
        type="button"
        className="small"
        disabled={query.isPending || toggle.isPending}
        onClick={() => toggle.mutate(!watching)}
      >
        {watching ? "Stop watching" : "Watch"}
      </button>
    </section>
  );
}
