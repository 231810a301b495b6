"""Demo data: a workspace a new user can click through, made through the real services so
every row has its event and obeys the same rules as the API."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from sqlalchemy import select

from tasklane.auth import service as auth
from tasklane.auth.principal import Principal
from tasklane.auth.schemas import RegisterRequest
from tasklane.authz.roles import ProjectRole, WorkspaceRole
from tasklane.comments import service as comments
from tasklane.comments.schemas import CommentWrite
from tasklane.kit.clock import utcnow
from tasklane.models import Workspace
from tasklane.projects import service as projects
from tasklane.projects.schemas import LabelCreate, ProjectCreate, ProjectMemberAdd
from tasklane.runtime import Runtime
from tasklane.tasks import service as tasks
from tasklane.tasks.schemas import Priority, RelationCreate, RelationType, TaskCreate, TaskMove
from tasklane.workspaces import service as workspaces
from tasklane.workspaces.schemas import MemberAdd, WorkspaceCreate

DEMO_SLUG = "acme-robotics"
DEMO_PASSWORD = "tasklane-demo"  # noqa: S105 - a published demo password, not a secret
PEOPLE = (
    ("ada", "Ada Lovelace", WorkspaceRole.OWNER),
    ("grace", "Grace Hopper", WorkspaceRole.ADMIN),
    ("linus", "Linus Torvalds", WorkspaceRole.MEMBER),
    ("margaret", "Margaret Hamilton", WorkspaceRole.MEMBER),
    ("ken", "Ken Thompson", WorkspaceRole.MEMBER),
    ("barbara", "Barbara Liskov", WorkspaceRole.GUEST),
)
PROJECTS = (
    ("ENG", "Engineering", "Firmware, control software and the build pipeline."),
    ("WEB", "Website", "The public site, docs portal and customer dashboard."),
    ("OPS", "Operations", "Manufacturing line, suppliers and field service."),
    ("MOB", "Mobile app", "The companion app for iOS and Android."),
)
LABELS = (
    ("bug", "#ef4444"),
    ("feature", "#3b82f6"),
    ("chore", "#a3a3a3"),
    ("design", "#d946ef"),
    ("security", "#f97316"),
)
VERBS = (
    "Fix",
    "Add",
    "Refactor",
    "Document",
    "Speed up",
    "Investigate",
    "Remove",
    "Test",
    "Redesign",
    "Migrate",
)
THINGS = (
    "login redirect",
    "motor controller timeout",
    "battery telemetry",
    "CSV export",
    "dark mode contrast",
    "onboarding checklist",
    "firmware OTA updates",
    "pricing page",
    "supplier invoices",
    "gripper calibration",
    "push notifications",
    "search ranking",
    "audit log export",
    "camera driver",
    "CI cache",
    "error reporting",
    "release notes",
    "warehouse scanner",
    "map tiles",
    "rate limiter",
)
DETAILS = (
    "on Safari",
    "for large fleets",
    "after reboot",
    "in the EU region",
    "for admins",
    "behind the proxy",
    "on low battery",
    "for new customers",
    "",
    "",
    "",
)
REMARKS = (
    "I can reproduce this on the staging robot.",
    "Pushed a first draft, reviews welcome.",
    "Blocked on the supplier's answer.",
    "Looks good to me :shipit:",
    "Can we split this into two tasks?",
    "Added logs from last night's run.",
    "Customer **Northwind** asked about this again.",
    "Moving to next week.",
)


@dataclass
class DemoSummary:
    workspace_id: UUID
    users: list[str]
    projects: int
    tasks: int
    comments: int


class DemoExists(Exception):
    pass


async def fill_demo(runtime: Runtime, *, seed: int = 7, tasks_per_project: int = 80) -> DemoSummary:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    db = runtime.db
    async with db.transaction(write=False) as session:
        if await session.scalar(select(Workspace.id).where(Workspace.slug == DEMO_SLUG)):
            raise DemoExists(f"The demo workspace ({DEMO_SLUG}) exists already.")
    people: dict[str, Principal] = {}
    for handle, name, _ in PEOPLE:
        email = f"{handle}@demo.tasklane.dev"
        user = await auth.register(
            runtime, data=RegisterRequest(email=email, password=DEMO_PASSWORD, name=name)
        )
        people[handle] = Principal(
            user_id=user.id, session_id=uuid4(), email=email, name=name, via="cli"
        )
    owner = people["ada"]
    async with db.transaction() as session:
        ws = await workspaces.create_workspace(
            session, owner, data=WorkspaceCreate(name="Acme Robotics", slug=DEMO_SLUG)
        )
        for handle, _, role in PEOPLE[1:]:
            await workspaces.add_member(
                session,
                owner,
                workspace_id=ws.id,
                data=MemberAdd(email=people[handle].email, role=role),
            )
    total_tasks = total_comments = 0
    today = utcnow().date()
    for key, name, description in PROJECTS:
        async with db.transaction() as session:
            project = await projects.create_project(
                session,
                owner,
                workspace_id=ws.id,
                data=ProjectCreate(key=key, name=name, description=description),
            )
            labels = [
                (
                    await projects.create_label(
                        session, owner, project_id=project.id, data=LabelCreate(name=n, color=c)
                    )
                ).id
                for n, c in LABELS
            ]
            await projects.add_member(
                session,
                owner,
                project_id=project.id,
                data=ProjectMemberAdd(user_id=people["barbara"].user_id, role=ProjectRole.MEMBER),
            )
            statuses = (await projects.list_statuses(session, owner, project_id=project.id)).items
        team = [people[h] for h in ("ada", "grace", "linus", "margaret", "ken", "barbara")]
        created: list[UUID] = []
        for n in range(tasks_per_project):
            author = rng.choice(team)
            title = f"{rng.choice(VERBS)} {rng.choice(THINGS)} {rng.choice(DETAILS)}".strip()
            parent = rng.choice(created) if created and rng.random() < 0.12 else None
            due = today + timedelta(days=rng.randint(-10, 40)) if rng.random() < 0.6 else None
            async with db.transaction() as session:
                task = await tasks.create_task(
                    session,
                    author,
                    project_id=project.id,
                    data=TaskCreate(
                        title=title,
                        description=(
                            f"## Context\n\n{rng.choice(REMARKS)}\n\n- [ ] reproduce\n"
                            "- [ ] fix\n- [ ] add a test"
                            if rng.random() < 0.5
                            else ""
                        ),
                        priority=rng.choice(list(Priority)),
                        assignee_ids=[p.user_id for p in rng.sample(team, rng.randint(0, 2))],
                        label_ids=rng.sample(labels, rng.randint(0, 2)),
                        due_date=due,
                        start_date=due - timedelta(days=rng.randint(0, 5)) if due else None,
                        estimate=rng.choice([None, 1, 2, 3, 5, 8]),
                        parent_id=parent,
                    ),
                )
                status = rng.choices(statuses, weights=[3, 4, 3, 5, 1])[0]
                if status.id != task.status_id:
                    await tasks.move_task(
                        session,
                        author,
                        ref=str(task.id),
                        data=TaskMove(status_id=status.id),
                        if_match=None,
                    )
                if n > 3 and rng.random() < 0.06:
                    other = rng.choice(created)
                    kind = rng.choice([RelationType.BLOCKS, RelationType.RELATES_TO])
                    await tasks.add_relation(
                        session,
                        author,
                        ref=str(task.id),
                        data=RelationCreate(type=kind, task_id=str(other)),
                    )
                if rng.random() < 0.3:
                    for _ in range(rng.randint(1, 3)):
                        await comments.create_comment(
                            session,
                            rng.choice(team),
                            ref=str(task.id),
                            data=CommentWrite(body=rng.choice(REMARKS)),
                        )
                        total_comments += 1
            created.append(task.id)
        total_tasks += len(created)
    return DemoSummary(
        workspace_id=ws.id,
        users=[p.email for p in people.values()],
        projects=len(PROJECTS),
        tasks=total_tasks,
        comments=total_comments,
    )
