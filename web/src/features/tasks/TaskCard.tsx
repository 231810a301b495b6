import { useSortable } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { memo } from "react";
import type { Label, Task } from "../../api/types";
import { AvatarStack, formatDate, LabelChip, PriorityIcon } from "../../app/ui";
import { isOverdue } from "./filters";
import type { TaskStat, TaskStats } from "./stats";
import "./board.css";

export interface CardContext {
  labels: Map<string, Label>;
  people: Map<string, string>;
  today: string;
  open: (task: Task) => void;
  select: (task: Task) => void;
  /** Subtask and comment counts by task id (the board asks for them apart). */
  stats?: TaskStats;
}

/** A ring that fills as subtasks get done. */
function ProgressRing({ done, total }: { done: number; total: number }) {
  const r = 5;
  const length = 2 * Math.PI * r;
  const filled = total ? (Math.min(done, total) / total) * length : 0;
  return (
    <svg className="progress-ring" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
      <circle cx="7" cy="7" r={r} className="track" />
      <circle
        cx="7"
        cy="7"
        r={r}
        className={done >= total ? "fill complete" : "fill"}
        strokeDasharray={`${filled} ${length}`}
        transform="rotate(-90 7 7)"
      />
    </svg>
  );
}

/** Subtask progress, comments and the estimate: each only when there is something to say. */
export function CardExtras({ task, stat }: { task: Task; stat: TaskStat | undefined }) {
  const subtasks = stat && stat.subtasks > 0 ? stat : null;
  const comments = stat?.comments ?? 0;
  const estimate = task.estimate ? task.estimate : null;
  if (!subtasks && !comments && estimate === null) return null;
  return (
    <>
      {subtasks && (
        <span
          className="card-extra"
          title={`${subtasks.subtasks_done} of ${subtasks.subtasks} subtasks done`}
        >
          <ProgressRing done={subtasks.subtasks_done} total={subtasks.subtasks} />
          <span className="sr-only">Subtasks done: </span>
          {subtasks.subtasks_done}/{subtasks.subtasks}
        </span>
      )}
      {comments > 0 && (
        <span className="card-extra" title={`${comments} comment${comments === 1 ? "" : "s"}`}>
          <svg width="13" height="13" viewBox="0 0 16 16" aria-hidden="true">
            <path
              d="M2.5 3.5h11v7h-6l-3 2.5v-2.5h-2z"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.4"
              strokeLinejoin="round"
            />
          </svg>
          {comments}
          <span className="sr-only"> {comments === 1 ? "comment" : "comments"}</span>
        </span>
      )}
      {estimate !== null && (
        <span className="card-extra">
          <abbr title="Estimate">Est.</abbr> {estimate}
        </span>
      )}
    </>
  );
}

export function CardBody({ task, ctx }: { task: Task; ctx: CardContext }) {
  const overdue = isOverdue(task, ctx.today);
  const labels = task.label_ids
    .map((id) => ctx.labels.get(id))
    .filter((l): l is Label => Boolean(l));
  const people = task.assignee_ids.map((id) => ({ id, name: ctx.people.get(id) ?? "Someone" }));
  const stat = ctx.stats?.[task.id];
  const extras = Boolean(stat?.subtasks || stat?.comments || task.estimate);
  return (
    <>
      <div className="card-top">
        <span className="task-key">{task.key}</span>
        <PriorityIcon priority={task.priority} />
      </div>
      <div className="card-title">{task.title}</div>
      {(labels.length > 0 || task.due_date || people.length > 0 || extras) && (
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
          <CardExtras task={task} stat={stat} />
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
  domId = `card-${task.id}`,
}: {
  task: Task;
  ctx: CardContext;
  selected: boolean;
  disabled: boolean;
  /** The element id; a task shown in two swimlanes needs one per lane. */
  domId?: string;
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
      id={domId}
      className={`card${selected ? " selected" : ""}${isDragging ? " dragging" : ""}`}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      {...attributes}
      {...listeners}
      role="button"
      tabIndex={disabled ? -1 : 0}
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
