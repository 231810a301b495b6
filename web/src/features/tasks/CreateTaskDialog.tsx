import { useState } from "react";
import type { Priority, Project, Status, Task } from "../../api/types";
import { PRIORITIES, PRIORITY_LABEL } from "../../api/types";
import { Modal } from "../../app/ui";
import { useCreateTask } from "./api";

export function CreateTaskDialog({
  open,
  onClose,
  project,
  statuses,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  project: Project;
  statuses: Status[];
  onCreated: (task: Task) => void;
}) {
  return (
    <Modal open={open} onClose={onClose} title="Create a task">
      <CreateForm project={project} statuses={statuses} onClose={onClose} onCreated={onCreated} />
    </Modal>
  );
}

function CreateForm({
  project,
  statuses,
  onClose,
  onCreated,
}: {
  project: Project;
  statuses: Status[];
  onClose: () => void;
  onCreated: (task: Task) => void;
}) {
  const create = useCreateTask(project.id);
  const firstOpen = statuses.find((s) => s.category === "unstarted") ?? statuses[0];
  const [statusId, setStatusId] = useState(firstOpen?.id ?? "");
  const [priority, setPriority] = useState<Priority>("none");
  const [title, setTitle] = useState("");
  const [more, setMore] = useState(false);
  return (
    <form
      className="stack create-task"
      onSubmit={(e) => {
        e.preventDefault();
        const text = title.trim();
        if (!text) return;
        create.mutate(
          { title: text, status_id: statusId || null, priority },
          {
            onSuccess: (task) => {
              setTitle("");
              if (!more) {
                onClose();
                onCreated(task);
              }
            },
          },
        );
      }}
    >
      <h2>New task in {project.name}</h2>
      <label>
        Title
        <input
          autoFocus
          required
          maxLength={500}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          placeholder="What needs doing?"
        />
      </label>
      <div className="row">
        <label>
          Status
          <select value={statusId} onChange={(e) => setStatusId(e.target.value)}>
            {statuses.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_LABEL[p]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="inline small">
        <input type="checkbox" checked={more} onChange={(e) => setMore(e.target.checked)} /> Create
        more (keep this open)
      </label>
      <div className="row">
        <button type="submit" className="primary" disabled={create.isPending || !title.trim()}>
          Create task
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
