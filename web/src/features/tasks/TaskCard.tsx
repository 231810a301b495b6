import { useSortable } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { memo } from "react";
import type { Label, Task } from "../../api/types";
import { AvatarStack, formatDate, LabelChip, PriorityIcon } from "../../app/ui";
import { isOverdue } from "./filters";

export interface CardContext {
  labels: Map<string, Label>;
  people: Map<string, string>;
  today: string;
  open: (task: Task) => void;
  select: (task: Task) => void;
}

export function CardBody({ task, ctx }: { task: Task; ctx: CardContext }) {
  const overdue = isOverdue(task, ctx.today);
  const labels = task.label_ids
    .map((id) => ctx.labels.get(id))
    .filter((l): l is Label => Boolean(l));
  const people = task.assignee_ids.map((id) => ({ id, name: ctx.people.get(id) ?? "Someone" }));
  return (
    <>
      <div className="card-top">
        <span className="task-key">{task.key}</span>
        <PriorityIcon priority={task.priority} />
      </div>
      <div className="card-title">{task.title}</div>
      {(labels.length > 0 || task.due_date || people.length > 0) && (
        <div className="card-meta">
          {labels.slice(0, 3).map((l) => (
            <LabelChip key={l.id} label={l} />
          ))}
          {task.due_date && (
            <span className={overdue ? "due overdue" : "due"}>
              {overdue && <span className="sr-only">Overdue, </span>}
              <span aria-hidden="true">◷ </span>
              {formatDate(task.due_date)}
            </span>
          )}
          <span className="spacer" />
          {people.length > 0 && <AvatarStack people={people} />}
        </div>
      )}
    </>
  );
}

export const SortableCard = memo(function SortableCard({
  task,
  ctx,
  selected,
  disabled,
}: {
  task: Task;
  ctx: CardContext;
  selected: boolean;
  disabled: boolean;
}) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({
    id: task.id,
    data: { task },
    disabled,
  });
  return (
    // biome-ignore lint/a11y/useSemanticElements: a sortable card holds block content, which a <button> may not
    <div
      ref={setNodeRef}
      id={`card-${task.id}`}
      className={`card${selected ? " selected" : ""}${isDragging ? " dragging" : ""}`}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      {...attributes}
      {...listeners}
      role="button"
      tabIndex={disabled ? -1 : 0}
      aria-label={`${task.key}: ${task.title}`}
      aria-describedby="board-dnd-help"
      data-task-key={task.key}
      onFocus={() => ctx.select(task)}
      onClick={() => ctx.open(task)}
      onKeyDown={(e) => {
        listeners?.onKeyDown?.(e);
        if (!e.defaultPrevented && e.key === "Enter") ctx.open(task);
      }}
    >
      <CardBody task={task} ctx={ctx} />
    </div>
  );
});
