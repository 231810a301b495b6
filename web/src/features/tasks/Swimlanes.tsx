/** The board in swimlanes: a row per assignee or priority, each with the status columns.
 * A card moves between statuses inside its lane; moving it to another lane is a change of
 * assignee or priority, made in the task itself (a drop there would guess which assignee). */
import {
  closestCorners,
  DndContext,
  type DragEndEvent,
  DragOverlay,
  useDroppable,
} from "@dnd-kit/core";
import { SortableContext, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { queryOptions, useQueries } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { api, unwrapSeq } from "../../api/client";
import type { Page, Person, Project, Status, Task } from "../../api/types";
import { ErrorNote, Spinner } from "../../app/ui";
import { noteLoaded } from "../realtime/live";
import { useKeys } from "../shell/keys";
import { COLUMN_PAGE, useMoveTask } from "./api";
import { recentTasks, taskKeys } from "./cache";
import { announcementsFor, type DropColumn, dropPlace, useBoardSensors } from "./dnd";
import type { GroupBy } from "./filters";
import { buildLanes, type Lane, lanesOf } from "./lanes";
import { type Column, flatten, reconcilePage, step } from "./ordering";
import { CardBody, type CardContext, SortableCard } from "./TaskCard";

/** Lanes need whole columns (a lane's count and cards must not depend on what scrolled into
 * view); past this many cards a column is cut, and the board says so. */
export const LANE_LIMIT = 1000;

type Filter = Record<string, string | string[]>;

/** Under the column's key (live updates and moves reach it as they reach any column), as one
 * page: the whole column, or its first LANE_LIMIT cards. */
export function wholeColumnKey(projectId: string, statusId: string, filter: Filter) {
  return [...taskKeys.column(projectId, statusId), filter, "all"] as const;
}

export function wholeColumnQuery(projectId: string, statusId: string, filter: Filter) {
  return queryOptions({
    queryKey: wholeColumnKey(projectId, statusId, filter),
    queryFn: async ({ signal }): Promise<Column> => {
      const items: Task[] = [];
      let cursor: string | undefined;
      do {
        const { data, seq } = await unwrapSeq(
          api.GET("/api/v1/projects/{project_id}/tasks", {
            params: {
              path: { project_id: projectId },
              query: {
                ...filter,
                status_id: [statusId],
                sort: "position",
                limit: COLUMN_PAGE,
                cursor,
              },
            },
            signal,
          }),
        );
        noteLoaded({ project_id: projectId }, seq);
        const page = data as Page<Task>;
        items.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor && items.length < LANE_LIMIT);
      const page = reconcilePage(
        { items, next_cursor: cursor ?? null },
        statusId,
        true,
        recentTasks(projectId),
      );
      return { pages: [page], pageParams: [undefined] };
    },
  });
}

export function Swimlanes({
  project,
  statuses,
  group,
  filter,
  shown,
  people,
  ctx,
  editable,
  selectedId,
  onSelect,
}: {
  project: Project;
  statuses: Status[];
  group: GroupBy;
  filter: Filter;
  shown: ((t: Task) => boolean) | undefined;
  people: Person[];
  ctx: CardContext;
  editable: boolean;
  selectedId: string | null;
  onSelect: (id: string | null) => void;
}) {
  const results = useQueries({
    queries: statuses.map((s) => wholeColumnQuery(project.id, s.id, filter)),
  });
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  const [activeLane, setActiveLane] = useState<string | null>(null);
  const datas = results.map((r) => r.data);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the column data is what matters, not the result objects
  const lanes = useMemo(() => {
    const columns = statuses.map((s, i) => {
      const tasks = flatten(datas[i]);
      return { statusId: s.id, tasks: shown ? tasks.filter(shown) : tasks };
    });
    return buildLanes(columns, group, people);
  }, [statuses, group, people, shown, ...datas]);
  // j/k go through the open lanes, lane by lane, column by column.
  const order = lanes
    .filter((lane) => !collapsed.has(lane.id))
    .flatMap((lane) =>
      statuses.flatMap((s) => (lane.columns.get(s.id) ?? []).map((t) => `${lane.id}|${t.id}`)),
    );
  const [cursor, setCursor] = useState<string | null>(null);
  useKeys({
    j: () => setCursor(step(order, cursor, 1)),
    k: () => setCursor(step(order, cursor, -1)),
  });
  useEffect(() => {
    if (!cursor) return;
    const [laneId, taskId] = cursor.split("|");
    onSelect(taskId ?? null);
    document.getElementById(`card-${laneId}-${taskId}`)?.focus();
  }, [cursor, onSelect]);
  const failed = results.find((r) => r.isError);
  const cut = statuses.filter((_, i) => datas[i]?.pages[0]?.next_cursor);
  const toggle = useCallback(
    (id: string) =>
      setCollapsed((prev) => {
        const next = new Set(prev);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    [],
  );

  if (failed) return <ErrorNote error={failed.error} retry={() => void failed.refetch()} />;
  if (results.some((r) => r.isPending)) return <Spinner label="Loading the lanes" />;
  return (
    <>
      <p id="board-dnd-help" className="sr-only">
        Press Enter to open. Press Space to pick up, arrow keys to move within the lane, Space to
        drop.
      </p>
      {cut.length > 0 && (
        <p className="board-note">
          {cut.map((s) => s.name).join(", ")}: the lanes show the first {LANE_LIMIT} tasks. Filter
          to see the rest.
        </p>
      )}
      <section
        className={`lanes${activeLane ? " dragging" : ""}`}
        aria-label={`${project.name} board by ${group}`}
        data-ready="true"
      >
        {lanes.length === 0 && (
          <p className="column-empty">
            {Object.keys(filter).length ? "No tasks match these filters." : "No tasks yet."}
          </p>
        )}
        {lanes.map((lane) => (
          <LaneRow
            key={lane.id}
            lane={lane}
            project={project}
            statuses={statuses}
            group={group}
            filter={filter}
            shown={shown}
            ctx={ctx}
            editable={editable}
            selectedId={selectedId}
            collapsed={collapsed.has(lane.id)}
            onToggle={toggle}
            active={activeLane === lane.id}
            onDragging={(on) => setActiveLane(on ? lane.id : null)}
          />
        ))}
      </section>
    </>
  );
}

function LaneRow({
  lane,
  project,
  statuses,
  group,
  filter,
  shown,
  ctx,
  editable,
  selectedId,
  collapsed,
  onToggle,
  active,
  onDragging,
}: {
  lane: Lane;
  project: Project;
  statuses: Status[];
  group: GroupBy;
  filter: Filter;
  shown: ((t: Task) => boolean) | undefined;
  ctx: CardContext;
  editable: boolean;
  selectedId: string | null;
  collapsed: boolean;
  onToggle: (id: string) => void;
  active: boolean;
  onDragging: (on: boolean) => void;
}) {
  const move = useMoveTask();
  const sensors = useBoardSensors();
  const [dragging, setDragging] = useState<Task | null>(null);
  const columns = (): DropColumn[] =>
    statuses.map((s) => ({ statusId: s.id, tasks: lane.columns.get(s.id) ?? [] }));
  const what = group === "priority" ? "priority" : "assignee";
  const bodyId = `lane-body-${lane.id}`;

  function onDragEnd(event: DragEndEvent) {
    setDragging(null);
    onDragging(false);
    const place = dropPlace(event, columns());
    if (!place) return;
    move.mutate({
      ...place,
      columnKey: (statusId) => wholeColumnKey(project.id, statusId, filter),
      shown: (t) => lanesOf(t, group).includes(lane.id) && (!shown || shown(t)),
    });
  }

  return (
    <section
      className={`lane${active ? " active" : ""}`}
      aria-labelledby={`lane-${lane.id}`}
      data-lane={lane.id}
    >
      <header className="lane-head">
        <button
          type="button"
          id={`lane-${lane.id}`}
          className="lane-toggle"
          aria-expanded={!collapsed}
          aria-controls={bodyId}
          onClick={() => onToggle(lane.id)}
        >
          <span className="chevron" aria-hidden="true">
            ▾
          </span>
          {lane.title}
          <span className="count">
            {lane.count}
            <span className="sr-only"> tasks</span>
          </span>
        </button>
        {dragging && (
          <span className="lane-hint" role="status">
            Cards move between statuses inside this lane; change the {what} in the task to move it
            to another lane.
          </span>
        )}
      </header>
      {!collapsed && (
        <DndContext
          sensors={sensors}
          collisionDetection={closestCorners}
          onDragStart={(event) => {
            setDragging((event.active.data.current?.task as Task | undefined) ?? null);
            onDragging(true);
          }}
          onDragEnd={onDragEnd}
          onDragCancel={() => {
            setDragging(null);
            onDragging(false);
          }}
          accessibility={{
            announcements: announcementsFor(columns, statuses, ` in lane ${lane.title}`),
            screenReaderInstructions: {
              draggable:
                "To move a task to another status of this lane, press Space, use the arrow keys, then press Space again. Press Enter to open it.",
            },
          }}
        >
          <div className="lane-columns" id={bodyId}>
            {statuses.map((status) => (
              <LaneCell
                key={status.id}
                laneId={lane.id}
                laneTitle={lane.title}
                status={status}
                tasks={lane.columns.get(status.id) ?? []}
                ctx={ctx}
                editable={editable}
                selectedId={selectedId}
              />
            ))}
          </div>
          <DragOverlay dropAnimation={null}>
            {dragging ? (
              <div className="card overlay">
                <CardBody task={dragging} ctx={ctx} />
              </div>
            ) : null}
          </DragOverlay>
        </DndContext>
      )}
    </section>
  );
}

function LaneCell({
  laneId,
  laneTitle,
  status,
  tasks,
  ctx,
  editable,
  selectedId,
}: {
  laneId: string;
  laneTitle: string;
  status: Status;
  tasks: Task[];
  ctx: CardContext;
  editable: boolean;
  selectedId: string | null;
}) {
  const { setNodeRef, isOver } = useDroppable({ id: `column:${status.id}` });
  const ids = useMemo(() => tasks.map((t) => t.id), [tasks]);
  return (
    <section
      className={`column${isOver ? " over" : ""}`}
      aria-label={`${status.name}, ${laneTitle}`}
      data-status={status.name}
    >
      <header className="column-head">
        <span className="status-dot" style={{ background: status.color }} aria-hidden="true" />
        <h3>{status.name}</h3>
        <span className="count">
          {tasks.length}
          <span className="sr-only"> tasks</span>
        </span>
      </header>
      <div className="column-body">
        <SortableContext
          id={`${laneId}:${status.id}`}
          items={ids}
          strategy={verticalListSortingStrategy}
        >
          <div ref={setNodeRef} className="lane-cell">
            {tasks.map((task) => (
              <SortableCard
                key={task.id}
                task={task}
                ctx={ctx}
                selected={task.id === selectedId}
                disabled={!editable}
                domId={`card-${laneId}-${task.id}`}
              />
            ))}
          </div>
        </SortableContext>
      </div>
    </section>
  );
}
