"""Demo data: a workspace a new user can click through, made through the real services so
every row has its event and obeys the same rules as the API.

The same seed gives the same content (titles, statuses, assignees...); ids and timestamps
differ from run to run.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID, uuid4

from sqlalchemy import select

from tasklane.auth import service as auth
from tasklane.auth.principal import Principal
from tasklane.auth.schemas import RegisterRequest
from tasklane.authz.roles import ProjectRole, WorkspaceRole
from tasklane.comments import service as comments
from tasklane.comments.schemas import CommentCreate
from tasklane.kit.clock import utcnow
from tasklane.models import User, Workspace
from tasklane.projects import service as projects
from tasklane.projects.schemas import LabelCreate, ProjectCreate, ProjectMemberAdd
from tasklane.projects.workflow import StatusCategory
from tasklane.runtime import Runtime
from tasklane.tasks import service as tasks
from tasklane.tasks.schemas import (
    Priority,
    RelationCreate,
    RelationType,
    TaskCreate,
    TaskMove,
    TaskUpdate,
)
from tasklane.workspaces import invitations
from tasklane.workspaces import service as workspaces
from tasklane.workspaces.schemas import MemberAdd, WorkspaceCreate

DEMO_NAME = "Acme Robotics"
DEMO_SLUG = "acme-robotics"
DEMO_DOMAIN = "demo.tasklane.dev"
DEMO_PASSWORD = "tasklane-demo"  # noqa: S105 - a published demo password, not a secret

# handle, name, workspace role. The first is the owner, who creates everything structural.
PEOPLE: tuple[tuple[str, str, WorkspaceRole], ...] = (
    ("ada", "Ada Lovelace", WorkspaceRole.OWNER),
    ("grace", "Grace Hopper", WorkspaceRole.ADMIN),
    ("linus", "Linus Torvalds", WorkspaceRole.MEMBER),
    ("margaret", "Margaret Hamilton", WorkspaceRole.MEMBER),
    ("ken", "Ken Thompson", WorkspaceRole.MEMBER),
    ("barbara", "Barbara Liskov", WorkspaceRole.GUEST),
)
GUEST = "barbara"


@dataclass(frozen=True)
class ProjectSpec:
    key: str
    name: str
    description: str
    labels: tuple[tuple[str, str], ...]
    topics: tuple[str, ...]
    details: tuple[str, ...]  # title endings; "" keeps titles short
    with_guest: bool = False  # the guest sees only the projects she is added to


_COMMON_LABELS = (("bug", "#ef4444"), ("feature", "#3b82f6"), ("chore", "#a3a3a3"))
PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec(
        "ENG",
        "Engineering",
        "Firmware, control software and the build pipeline.",
        (*_COMMON_LABELS, ("security", "#f97316"), ("performance", "#14b8a6")),
        (
            "motor controller timeout",
            "battery telemetry",
            "firmware OTA updates",
            "gripper calibration",
            "camera driver",
            "CI cache",
            "path planner",
            "CAN bus watchdog",
            "lidar point cloud filter",
            "simulation harness",
            "crash dump upload",
            "emergency stop handler",
        ),
        (" after reboot", " on low battery", " on the v2 arm", " in the nightly build", "", "", ""),
    ),
    ProjectSpec(
        "WEB",
        "Website",
        "The public site, docs portal and customer dashboard.",
        (*_COMMON_LABELS, ("design", "#d946ef"), ("seo", "#84cc16")),
        (
            "login redirect",
            "pricing page",
            "dark mode contrast",
            "docs search",
            "fleet dashboard charts",
            "cookie banner",
            "CSV export",
            "blog RSS feed",
            "contact form spam filter",
            "status page",
            "image lazy loading",
            "sign-up funnel tracking",
        ),
        (
            " on Safari",
            " on mobile",
            " for admins",
            " behind the proxy",
            " for new customers",
            "",
            "",
            "",
        ),
        with_guest=True,
    ),
    ProjectSpec(
        "OPS",
        "Operations",
        "Manufacturing line, suppliers and field service.",
        (*_COMMON_LABELS, ("supplier", "#eab308"), ("safety", "#dc2626")),
        (
            "supplier invoices",
            "warehouse scanner",
            "spare parts inventory",
            "field service schedule",
            "end-of-line test rig",
            "shipping labels",
            "battery recycling process",
            "returns workflow",
            "torque wrench calibration log",
            "on-call rota",
            "customs paperwork",
        ),
        (" for the Berlin plant", " for EU shipments", " before the audit", " for Q3", "", "", ""),
    ),
    ProjectSpec(
        "MOB",
        "Mobile app",
        "The companion app for iOS and Android.",
        (*_COMMON_LABELS, ("design", "#d946ef"), ("ios", "#6366f1"), ("android", "#22c55e")),
        (
            "push notifications",
            "robot pairing over Bluetooth",
            "offline map tiles",
            "onboarding checklist",
            "live camera view",
            "battery widget",
            "crash reporting",
            "app store screenshots",
            "deep links",
            "accessibility labels",
            "localisation strings",
        ),
        (" on Android 14", " on iPad", " in dark mode", " for first-time users", "", "", ""),
        with_guest=True,
    ),
)
VERBS = (
    "Fix",
    "Add",
    "Refactor",
    "Document",
    "Speed up",
    "Investigate",
    "Clean up",
    "Test",
    "Redesign",
    "Migrate",
    "Review",
    "Simplify",
)
REMARKS = (
    "I can reproduce this on the staging robot.",
    "Pushed a first draft, reviews welcome.",
    "Blocked on the supplier's answer.",
    "Looks good to me :shipit:",
    "Can we split this into two tasks?",
    "Added logs from last night's run.",
    "Customer **Northwind** asked about this again.",
    "Moving to next week, sorry.",
    "Paired on this with @linus; the root cause is a race on start-up.",
    "Is this still needed after the redesign?",
    "Done on my side, ready for QA.",
    "Here is the trace:\n\n```\nTimeoutError: controller did not answer in 250 ms\n```",
    "+1, this bites us every release.",
    "I'll take this one.",
)
CONTEXTS = (
    "Reported by two customers this month.",
    "Came up in the last retro.",
    "Needed before the trade fair demo.",
    "The current behaviour confuses new users.",
    "Support spends about an hour a week on this.",
)


def _description(rng: random.Random, title: str) -> str:
    """Markdown in a few shapes, or nothing (about half the tasks)."""
    shape = rng.randrange(6)
    if shape == 0:
        steps = rng.sample(["reproduce", "write a failing test", "fix", "update the docs"], 3)
        return f"## Context\n\n{rng.choice(CONTEXTS)}\n\n## Steps\n\n" + "\n".join(
            f"- [{'x' if i == 0 else ' '}] {s}" for i, s in enumerate(steps)
        )
    if shape == 1:
        return (
            f"**Goal:** {title.lower()}.\n\n{rng.choice(CONTEXTS)}\n\n"
            "### Acceptance criteria\n\n1. Works on the staging fleet\n"
            "2. Covered by a test\n3. Release note written"
        )
    if shape == 2:
        return f"{rng.choice(CONTEXTS)} See the _runbook_ for the current workaround."
    return ""


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: WorkspaceRole


@dataclass
class DemoSummary:
    workspace_id: UUID
    users: list[DemoUser]
    projects: int = 0
    labels: int = 0
    tasks: int = 0
    subtasks: int = 0
    completed: int = 0
    relations: int = 0
    comments: int = 0
    by_category: dict[StatusCategory, int] = field(default_factory=dict)


class DemoExists(Exception):
    """The demo workspace, or one of its accounts, is already in this database."""


def demo_email(handle: str) -> str:
    return f"{handle}@{DEMO_DOMAIN}"


async def _check_absent(runtime: Runtime) -> None:
    emails = [demo_email(handle) for handle, _, _ in PEOPLE]
    async with runtime.db.transaction(write=False) as session:
        if await session.scalar(select(Workspace.id).where(Workspace.slug == DEMO_SLUG)):
            raise DemoExists(
                f"The demo workspace ({DEMO_SLUG}) exists already; not adding a second copy."
            )
        taken = (await session.scalars(select(User.email).where(User.email.in_(emails)))).all()
    if taken:
        raise DemoExists(f"Demo accounts exist already ({', '.join(sorted(taken))}).")


async def fill_demo(runtime: Runtime, *, seed: int = 7, tasks_per_project: int = 80) -> DemoSummary:
    """Create the "Acme Robotics" workspace with six users, four projects and their tasks.
    Raises DemoExists when the workspace or a demo account is already there."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    db = runtime.db
    await _check_absent(runtime)

    # Hashing happens outside transactions (register opens its own, after the hash).
    registered = await asyncio.gather(
        *(
            auth.register(
                runtime,
                data=RegisterRequest(email=demo_email(handle), password=DEMO_PASSWORD, name=name),
            )
            for handle, name, _ in PEOPLE
        )
    )
    people = {
        handle: Principal(
            user_id=user.id, session_id=uuid4(), email=user.email, name=user.name, via="cli"
        )
        for (handle, _, _), user in zip(PEOPLE, registered, strict=True)
    }
    owner = people[PEOPLE[0][0]]
    async with db.transaction() as session:
        ws = await workspaces.create_workspace(
            session, owner, data=WorkspaceCreate(name=DEMO_NAME, slug=DEMO_SLUG)
        )
        for handle, _, role in PEOPLE[1:]:
            # The operator adds the demo people: invited, and accepted on their behalf.
            invitation = await invitations.add_member(
                session,
                owner,
                workspace_id=ws.id,
                data=MemberAdd(email=people[handle].email, role=role),
            )
            await invitations.accept_invitation(
                session, people[handle], invitation_id=invitation.id
            )
    summary = DemoSummary(
        workspace_id=ws.id,
        users=[DemoUser(demo_email(h), name, role) for h, name, role in PEOPLE],
        by_category=dict.fromkeys(StatusCategory, 0),
    )
    today = utcnow().date()
    for spec in PROJECTS:
        async with db.transaction() as session:
            project = await projects.create_project(
                session,
                owner,
                workspace_id=ws.id,
                data=ProjectCreate(key=spec.key, name=spec.name, description=spec.description),
            )
            labels = [
                (
                    await projects.create_label(
                        session, owner, project_id=project.id, data=LabelCreate(name=n, color=c)
                    )
                ).id
                for n, c in spec.labels
            ]
            if spec.with_guest:
                await projects.add_member(
                    session,
                    owner,
                    project_id=project.id,
                    data=ProjectMemberAdd(user_id=people[GUEST].user_id, role=ProjectRole.MEMBER),
                )
            statuses = (await projects.list_statuses(session, owner, project_id=project.id)).items
        summary.projects += 1
        summary.labels += len(labels)
        board = _Board(
            spec=spec,
            project_id=project.id,
            team=[p for h, p in people.items() if h != GUEST or spec.with_guest],
            labels=labels,
            statuses={StatusCategory(s.category): s.id for s in statuses},
        )
        for _ in range(tasks_per_project):
            await _make_task(rng, runtime, board, today, summary)
    return summary


@dataclass
class _Board:
    """One project being filled."""

    spec: ProjectSpec
    project_id: UUID
    team: list[Principal]
    labels: list[UUID]
    statuses: dict[StatusCategory, UUID]
    top_level: list[UUID] = field(default_factory=list)  # candidates for parents and relations


async def _make_task(
    rng: random.Random, runtime: Runtime, board: _Board, today: date, summary: DemoSummary
) -> None:
    """One task and what happens to it (moves, a relation, comments), in one transaction."""
    created, team, by_category = board.top_level, board.team, board.statuses
    author = rng.choice(team)
    title = f"{rng.choice(VERBS)} {rng.choice(board.spec.topics)}{rng.choice(board.spec.details)}"
    parent = rng.choice(created) if len(created) > 3 and rng.random() < 0.12 else None
    due = today + timedelta(days=rng.randint(-14, 35)) if rng.random() < 0.6 else None
    category = rng.choices(list(StatusCategory), weights=[3, 4, 3, 5, 1])[0]
    assignees = rng.sample(team, rng.choices([0, 1, 2], weights=[2, 5, 2])[0])
    async with runtime.db.transaction() as session:
        task = await tasks.create_task(
            session,
            author,
            project_id=board.project_id,
            data=TaskCreate(
                title=title,
                description=_description(rng, title),
                # Backlog ideas are filed there directly; the rest start in Todo.
                status_id=by_category[StatusCategory.BACKLOG]
                if category is StatusCategory.BACKLOG
                else None,
                priority=rng.choices(list(Priority), weights=[3, 3, 4, 2, 1])[0],
                assignee_ids=[p.user_id for p in assignees],
                label_ids=rng.sample(board.labels, rng.choices([0, 1, 2], weights=[2, 5, 2])[0]),
                due_date=due,
                start_date=due - timedelta(days=rng.randint(1, 10))
                if due and rng.random() < 0.4
                else None,
                estimate=rng.choice([None, None, 0.5, 1, 2, 3, 5, 8]),
                parent_id=parent,
            ),
        )
        worker = assignees[0] if assignees else author
        ref = str(task.id)
        if category in (StatusCategory.STARTED, StatusCategory.DONE):
            await tasks.move_task(
                session,
                worker,
                ref=ref,
                data=TaskMove(status_id=by_category[StatusCategory.STARTED]),
                if_match=None,
            )
        if category in (StatusCategory.DONE, StatusCategory.CANCELLED):
            # Both ways a status changes: the board's drag (move) and the task form (update).
            target = by_category[category]
            if rng.random() < 0.5:
                await tasks.move_task(
                    session, worker, ref=ref, data=TaskMove(status_id=target), if_match=None
                )
            else:
                await tasks.update_task(
                    session, worker, ref=ref, data=TaskUpdate(status_id=target), if_match=None
                )
            if category is StatusCategory.DONE:
                summary.completed += 1
        if len(created) > 3 and rng.random() < 0.08:
            await tasks.add_relation(
                session,
                author,
                ref=ref,
                data=RelationCreate(
                    type=rng.choice([RelationType.BLOCKS, RelationType.RELATES_TO]),
                    task_id=str(rng.choice(created)),
                ),
            )
            summary.relations += 1
        if rng.random() < 0.3:
            for _ in range(rng.choices([1, 2, 3, 4], weights=[4, 3, 2, 1])[0]):
                await comments.create_comment(
                    session,
                    rng.choice(team),
                    ref=ref,
                    data=CommentCreate(body=rng.choice(REMARKS)),
                )
                summary.comments += 1
    if parent is None:
        created.append(task.id)
    else:
        summary.subtasks += 1
    summary.tasks += 1
    summary.by_category[category] += 1
