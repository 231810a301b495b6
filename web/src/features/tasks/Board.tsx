import {
  closestCorners,
  DndContext,
  type DragEndEvent,
  DragOverlay,
  type DragStartEvent,
  useDroppable,
} from "@dnd-kit/core";
import { SortableContext, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { useQueryClient } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Project, Status, Task, User } from "../../api/types";
import { ErrorNote } from "../../app/ui";
import { useSearchParamsNow } from "../../lib/searchParams";
import { useLabels, usePeople } from "../projects/api";
import { useKeys } from "../shell/keys";
import { columnKey, useColumn, useColumnCount, useCreateTask, useMoveTask } from "./api";
import { columnCount } from "./counts";
import { announcementsFor, type DropColumn, dropPlace, useBoardSensors } from "./dnd";
import { FilterBar, useUrlFilters } from "./FilterBar";
import {
  boardQuery,
  type GroupBy,
  groupFromSearchParams,
  matches,
  type TaskFilters,
  withGroup,
} from "./filters";
import { type Column, flatten, step } from "./ordering";
import { Swimlanes } from "./Swimlanes";
import { useStatsRefresh, useTaskStats } from "./stats";
import { CardBody, type CardContext, SortableCard } from "./TaskCard";
import "./board.css";

const CARD_ESTIMATE = 92;

type Filter = Record<string, string | string[]>;

/** The board: the list's filters (the same URL parameters), and swimlanes by assignee or
 * priority (`?group=`). */
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
  const search = useSearchParamsNow();
  const [params, setParams] = search;
  const [filters, setFilters] = useUrlFilters(search);
  const group = groupFromSearchParams(params);
  const labels = useLabels(project.id);
  const people = usePeople(project.id);
  const stats = useTaskStats(project.id);
  useStatsRefresh(project.id);
  const me = qc.getQueryData<User | null>(["me"])?.id ?? "";
  const filter = useMemo(() => boardQuery(filters), [filters]);
  // Each column asks the server with the filters; this drops a card that a change (here or
  // live) took out of them, until the column is asked again.
  const shown = useMemo(
    () =>
      Object.keys(filter).length ? (t: Task) => matches(t, filters as TaskFilters, me) : undefined,
    [filter, filters, me],
  );
  const columns = useMemo(
    () =>
      filters.status_id.length
        ? statuses.filter((s) => filters.status_id.includes(s.id))
        : statuses,
    [statuses, filters.status_id],
  );
  const cardCtx = useMemo(() => ({ ...ctx, stats: stats.data }), [ctx, stats.data]);
  const thisProject = useMemo(() => [project], [project]);

  return (
    <div className="board-view">
      <FilterBar
        filters={filters}
        setFilters={setFilters}
        statuses={statuses}
        labels={labels.data ?? []}
        members={people.data ?? []}
        projects={thisProject}
      >
        <label className="inline group-by">
          Group by
          <select
            value={group}
            onChange={(e) => setParams((current) => withGroup(current, e.target.value as GroupBy))}
          >
            <option value="none">None</option>
            <option value="assignee">Assignee</option>
            <option value="priority">Priority</option>
          </select>
        </label>
      </FilterBar>
      {group === "none" ? (
        <Columns
          project={project}
          statuses={columns}
          filter={filter}
          filters={filters}
          shown={shown}
          ctx={cardCtx}
          editable={editable}
          selectedId={selectedId}
          onSelect={onSelect}
        />
      ) : (
        <Swimlanes
          project={project}
          statuses={columns}
          group={group}
          filter={filter}
          shown={shown}
          people={people.data ?? []}
          ctx={cardCtx}
          editable={editable}
          selectedId={selectedId}
          onSelect={onSelect}
        />
      )}
    </div>
  );
}

function Columns({
  project,
  statuses,
  filter,
  filters,
  shown,
  ctx,
  editable,
  selectedId,
  onSelect,
}: {
  project: Project;
  statuses: Status[];
  filter: Filter;
  filters: TaskFilters;
  shown: ((t: Task) => boolean) | undefined;
  ctx: CardContext;
  editable: boolean;
  selectedId: string | null;
  onSelect: (id: string | null) => void;
}) {
  const qc = useQueryClient();
  const move = useMoveTask();
  const [dragging, setDragging] = useState<Task | null>(null);
  const [loaded, setLoaded] = useState<Set<string>>(() => new Set());
  const sensors = useBoardSensors();
  const keyOf = useCallback(
    (statusId: string) => columnKey(project.id, statusId, filter),
    [project.id, filter],
  );

  // What each column shows, read from the caches when needed (not on every render).
  const dropColumns = (): DropColumn[] =>
    statuses.map((s) => {
      const tasks = flatten(qc.getQueryData<Column>(keyOf(s.id)));
      return { statusId: s.id, tasks: shown ? tasks.filter(shown) : tasks };
    });

  useKeys({
    j: () =>
      onSelect(
        step(
          dropColumns().flatMap((c) => c.tasks.map((t) => t.id)),
          selectedId,
          1,
        ),
      ),
    k: () =>
      onSelect(
        step(
          dropColumns().flatMap((c) => c.tasks.map((t) => t.id)),
          selectedId,
          -1,
        ),
      ),
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

  function onDragStart(event: DragStartEvent) {
    setDragging((event.active.data.current?.task as Task | undefined) ?? null);
  }

  function onDragEnd(event: DragEndEvent) {
    setDragging(null);
    const place = dropPlace(event, dropColumns());
    if (place) move.mutate({ ...place, columnKey: keyOf, shown });
  }

  // biome-ignore lint/correctness/useExhaustiveDependencies: dropColumns reads the caches when called
  const announcements = useMemo(
    () => announcementsFor(dropColumns, statuses),
    [statuses, qc, keyOf, shown],
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
            filter={filter}
            filters={filters}
            shown={shown}
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

const BoardColumn = memo(function BoardColumn({
  project,
  status,
  filter,
  filters,
  shown,
  ctx,
  editable,
  selectedId,
  onLoaded,
}: {
  project: Project;
  status: Status;
  filter: Filter;
  filters: TaskFilters;
  shown: ((t: Task) => boolean) | undefined;
  ctx: CardContext;
  editable: boolean;
  selectedId: string | null;
  onLoaded: (statusId: string) => void;
}) {
  const query = useColumn(project.id, status.id, filter);
  const tasks = useMemo(() => {
    const all = flatten(query.data);
    return shown ? all.filter(shown) : all;
  }, [query.data, shown]);
  // Asked once some column has more than its first page.
  const total = useColumnCount(project.id, status.id, query.hasNextPage, filters);
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
                  {shown
                    ? "No tasks here match the filters."
                    : `No tasks here. Drag one in${editable ? " or press +" : ""}.`}
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
