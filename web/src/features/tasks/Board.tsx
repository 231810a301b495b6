import {
  closestCorners,
  DndContext,
  type DragEndEvent,
  DragOverlay,
  type DragStartEvent,
  KeyboardSensor,
  PointerSensor,
  useDroppable,
  useSensor,
  useSensors,
} from "@dnd-kit/core";
import {
  SortableContext,
  sortableKeyboardCoordinates,
  verticalListSortingStrategy,
} from "@dnd-kit/sortable";
import { useQueryClient } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Project, Status, Task } from "../../api/types";
import { ErrorNote } from "../../app/ui";
import { useKeys } from "../shell/keys";
import { useColumn, useColumnCount, useCreateTask, useMoveTask } from "./api";
import { taskKeys } from "./cache";
import { columnCount } from "./counts";
import { type Column, flatten, step } from "./ordering";
import { CardBody, type CardContext, SortableCard } from "./TaskCard";

const CARD_ESTIMATE = 92;

export function Board({
  project,
  statuses,
  ctx,
  editable,
  selectedId,
  onSelect,
}: {
  project: Project;
  statuses: Status[];
  ctx: CardContext;
  editable: boolean;
  selectedId: string | null;
  onSelect: (id: string | null) => void;
}) {
  const qc = useQueryClient();
  const move = useMoveTask();
  const [dragging, setDragging] = useState<Task | null>(null);
  const [loaded, setLoaded] = useState<Set<string>>(() => new Set());
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, {
      coordinateGetter: sortableKeyboardCoordinates,
      keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space", "Enter"] },
    }),
  );

  const allIds = (): string[] =>
    statuses.flatMap((s) =>
      flatten(qc.getQueryData<Column>(taskKeys.column(project.id, s.id))).map((t) => t.id),
    );

  useKeys({
    j: () => onSelect(step(allIds(), selectedId, 1)),
    k: () => onSelect(step(allIds(), selectedId, -1)),
  });

  const markLoaded = useCallback(
    (statusId: string) =>
      setLoaded((prev) => (prev.has(statusId) ? prev : new Set(prev).add(statusId))),
    [],
  );
  const ready = statuses.length > 0 && statuses.every((s) => loaded.has(s.id));
  useEffect(() => {
    if (ready && !performance.getEntriesByName("tasklane:board-ready").length) {
      performance.mark("tasklane:board-ready");
    }
  }, [ready]);

  function columnOf(id: string): { statusId: string; tasks: Task[] } | null {
    if (id.startsWith("column:")) {
      const statusId = id.slice("column:".length);
      return {
        statusId,
        tasks: flatten(qc.getQueryData<Column>(taskKeys.column(project.id, statusId))),
      };
    }
    for (const s of statuses) {
      const tasks = flatten(qc.getQueryData<Column>(taskKeys.column(project.id, s.id)));
      if (tasks.some((t) => t.id === id)) return { statusId: s.id, tasks };
    }
    return null;
  }

  function onDragStart(event: DragStartEvent) {
    setDragging((event.active.data.current?.task as Task | undefined) ?? null);
  }

  function onDragEnd(event: DragEndEvent) {
    setDragging(null);
    const { active, over } = event;
    const task = active.data.current?.task as Task | undefined;
    if (!task || !over) return;
    const target = columnOf(String(over.id));
    if (!target) return;
    let index: number;
    if (String(over.id).startsWith("column:")) {
      index = target.tasks.filter((t) => t.id !== task.id).length;
    } else {
      const overIndex = target.tasks.findIndex((t) => t.id === over.id);
      if (target.statusId === task.status_id) {
        index = overIndex; // the same column: the dragged card takes the place of the one under it
      } else {
        const translated = active.rect.current.translated;
        const below = translated ? translated.top > over.rect.top + over.rect.height / 2 : false;
        index = overIndex + (below ? 1 : 0);
      }
    }
    const current = target.tasks.findIndex((t) => t.id === task.id);
    if (target.statusId === task.status_id && current === index) return;
    move.mutate({ task, statusId: target.statusId, index });
  }

  const announcements = useMemo(
    () => ({
      onDragStart: ({ active }: { active: { data: { current?: Record<string, unknown> } } }) =>
        `Picked up ${(active.data.current?.task as Task | undefined)?.key ?? "task"}. Use the arrow keys to move, Space to drop, Escape to cancel.`,
      onDragOver: ({ over }: { over: { id: string | number } | null }) =>
        over
          ? `Over ${describeDrop(String(over.id), statuses, qc, project.id)}.`
          : "Not over a column.",
      onDragEnd: ({ over }: { over: { id: string | number } | null }) =>
        over
          ? `Dropped in ${describeDrop(String(over.id), statuses, qc, project.id)}.`
          : "Dropped.",
      onDragCancel: () => "Move cancelled.",
    }),
    [statuses, qc, project.id],
  );

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={closestCorners}
      onDragStart={onDragStart}
      onDragEnd={onDragEnd}
      onDragCancel={() => setDragging(null)}
      accessibility={{
        announcements,
        screenReaderInstructions: {
          draggable:
            "To move a task, press Space, use the arrow keys, then press Space again. Press Enter to open it.",
        },
      }}
    >
      <p id="board-dnd-help" className="sr-only">
        Press Enter to open. Press Space to pick up, arrow keys to move, Space to drop.
      </p>
      <section
        className="board"
        aria-label={`${project.name} board`}
        data-ready={ready ? "true" : "false"}
      >
        {statuses.map((status) => (
          <BoardColumn
            key={status.id}
            project={project}
            status={status}
            ctx={ctx}
            editable={editable}
            selectedId={selectedId}
            onLoaded={markLoaded}
          />
        ))}
      </section>
      <DragOverlay dropAnimation={null}>
        {dragging ? (
          <div className="card overlay">
            <CardBody task={dragging} ctx={ctx} />
          </div>
        ) : null}
      </DragOverlay>
    </DndContext>
  );
}

function describeDrop(
  id: string,
  statuses: Status[],
  qc: ReturnType<typeof useQueryClient>,
  projectId: string,
): string {
  if (id.startsWith("column:")) {
    return statuses.find((s) => `column:${s.id}` === id)?.name ?? "a column";
  }
  for (const s of statuses) {
    const tasks = flatten(qc.getQueryData<Column>(taskKeys.column(projectId, s.id)));
    const at = tasks.findIndex((t) => t.id === id);
    if (at !== -1) return `${s.name}, position ${at + 1} of ${tasks.length}`;
  }
  return "a task";
}

const BoardColumn = memo(function BoardColumn({
  project,
  status,
  ctx,
  editable,
  selectedId,
  onLoaded,
}: {
  project: Project;
  status: Status;
  ctx: CardContext;
  editable: boolean;
  selectedId: string | null;
  onLoaded: (statusId: string) => void;
}) {
  const query = useColumn(project.id, status.id);
  const tasks = useMemo(() => flatten(query.data), [query.data]);
  // Asked once some column has more than its first page.
  const total = useColumnCount(project.id, status.id, query.hasNextPage);
  const ids = useMemo(() => tasks.map((t) => t.id), [tasks]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const { setNodeRef, isOver } = useDroppable({ id: `column:${status.id}` });
  const [adding, setAdding] = useState(false);
  const virtualizer = useVirtualizer({
    count: tasks.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CARD_ESTIMATE,
    overscan: 6,
    getItemKey: (i) => tasks[i]?.id ?? i,
  });

  useEffect(() => {
    if (query.isSuccess) onLoaded(status.id);
  }, [query.isSuccess, onLoaded, status.id]);

  // Load further pages as the end of the column comes into view.
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (query.hasNextPage && !query.isFetchingNextPage && lastIndex >= tasks.length - 20) {
      void query.fetchNextPage();
    }
  }, [lastIndex, tasks.length, query]);

  // Keep the selected card in view and focused (j/k).
  useEffect(() => {
    if (!selectedId) return;
    const at = ids.indexOf(selectedId);
    if (at === -1) return;
    virtualizer.scrollToIndex(at, { align: "auto" });
    requestAnimationFrame(() => {
      const el = document.getElementById(`card-${selectedId}`);
      if (el && document.activeElement !== el) el.focus({ preventScroll: true });
    });
  }, [selectedId, ids, virtualizer]);

  const count = columnCount(tasks.length, query.hasNextPage, total.data);
  return (
    <section className={`column${isOver ? " over" : ""}`} aria-labelledby={`col-${status.id}`}>
      <header className="column-head">
        <span className="status-dot" style={{ background: status.color }} aria-hidden="true" />
        <h2 id={`col-${status.id}`}>{status.name}</h2>
        <span className="count">
          {count}
          <span className="sr-only"> tasks</span>
        </span>
        <span className="spacer" />
        {editable && (
          <button
            type="button"
            className="icon-button"
            aria-label={`Add a task to ${status.name}`}
            onClick={() => setAdding(true)}
          >
            +
          </button>
        )}
      </header>
      {adding && (
        <QuickAdd projectId={project.id} status={status} onClose={() => setAdding(false)} />
      )}
      <div className="column-body" ref={scrollRef}>
        {query.isError ? (
          <ErrorNote error={query.error} retry={() => void query.refetch()} />
        ) : query.isPending ? (
          <div className="skeletons" aria-hidden="true">
            <div className="card skeleton" />
            <div className="card skeleton" />
          </div>
        ) : (
          <SortableContext id={status.id} items={ids} strategy={verticalListSortingStrategy}>
            <div
              ref={setNodeRef}
              className="column-list"
              style={{ height: Math.max(virtualizer.getTotalSize(), 80) }}
            >
              {tasks.length === 0 && (
                <p className="column-empty">
                  No tasks here. Drag one in{editable ? " or press +" : ""}.
                </p>
              )}
              {items.map((item) => {
                const task = tasks[item.index];
                if (!task) return null;
                return (
                  <div
                    key={task.id}
                    data-index={item.index}
                    ref={virtualizer.measureElement}
                    className="virtual-row"
                    style={{ top: item.start }}
                  >
                    <SortableCard
                      task={task}
                      ctx={ctx}
                      selected={task.id === selectedId}
                      disabled={!editable}
                    />
                  </div>
                );
              })}
            </div>
          </SortableContext>
        )}
      </div>
    </section>
  );
});

function QuickAdd({
  projectId,
  status,
  onClose,
}: {
  projectId: string;
  status: Status;
  onClose: () => void;
}) {
  const create = useCreateTask(projectId);
  const [title, setTitle] = useState("");
  return (
    <form
      className="quick-add"
      onSubmit={(e) => {
        e.preventDefault();
        const text = title.trim();
        if (!text) return;
        create.mutate({ title: text, status_id: status.id, placement: "top" });
        setTitle("");
      }}
    >
      <input
        autoFocus
        aria-label={`New task title in ${status.name}`}
        placeholder="Task title, then Enter"
        value={title}
        maxLength={500}
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onClose();
          }
        }}
        onBlur={() => {
          if (!title.trim()) onClose();
        }}
      />
    </form>
  );
}
