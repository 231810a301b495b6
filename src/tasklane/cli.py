"""The `tasklane` command."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn

from tasklane import migrate as migrations
from tasklane.config import Settings

if TYPE_CHECKING:
    from tasklane.demo import DemoSummary

app = typer.Typer(help="Tasklane: a self-hosted team task manager.", no_args_is_help=True)


def _settings() -> Settings:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply pending migrations first.")] = True,
) -> None:
    """Serve the API (and, later, the web app)."""
    settings = _settings()
    if migrate:
        migrations.upgrade(settings.resolved_database_url)
    settings.signing_key  # noqa: B018 - create the development secret once, before workers fork
    uvicorn.run(
        "tasklane.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,  # Tasklane logs each request itself, with its request id
        proxy_headers=True,
    )


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations."""
    settings = _settings()
    migrations.upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at {revision}")


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an account (for the first user, or scripts)."""
    from tasklane.auth import service  # noqa: PLC0415 - keep CLI start-up light
    from tasklane.auth.schemas import RegisterRequest  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415

    async def run() -> None:
        runtime = Runtime.build(Settings())
        try:
            user = await service.register(
                runtime, data=RegisterRequest(email=email, name=name, password=password)
            )
        finally:
            await runtime.close()
        typer.echo(f"created {user.email} ({user.id})")

    asyncio.run(run())


@app.command("purge-trash")
def purge_trash() -> None:
    """Delete for good the tasks that have been in the trash past the retention period."""
    from tasklane.runtime import Runtime  # noqa: PLC0415
    from tasklane.tasks.service import purge_trash as purge  # noqa: PLC0415

    settings = _settings()

    async def run() -> int:
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction() as session:
                return await purge(session, retention_days=settings.trash_retention_days)
        finally:
            await runtime.close()

    typer.echo(f"purged {asyncio.run(run())} tasks")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 7,
    tasks_per_project: Annotated[
        int, typer.Option(min=1, max=5000, help="Tasks in each of the four projects.")
    ] = 80,
) -> None:
    """Fill a demo workspace ("Acme Robotics") with users, projects, tasks and comments."""
    from tasklane.demo import DEMO_NAME, DEMO_PASSWORD, DemoExists, fill_demo  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)

    async def run() -> DemoSummary:
        runtime = Runtime.build(settings)
        try:
            return await fill_demo(runtime, seed=seed, tasks_per_project=tasks_per_project)
        finally:
            await runtime.close()

    try:
        summary = asyncio.run(run())
    except DemoExists as exc:
        typer.echo(f"{exc} Use an empty database, or sign in with the demo accounts.", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Demo workspace {DEMO_NAME!r} is ready.")
    typer.echo(
        f"  {summary.projects} projects, {summary.labels} labels, {summary.tasks} tasks "
        f"({summary.subtasks} subtasks, {summary.completed} done), {summary.relations} "
        f"relations, {summary.comments} comments"
    )
    typer.echo(
        "  by status category: "
        + ", ".join(f"{category} {n}" for category, n in summary.by_category.items())
    )
    typer.echo(f"Sign in with password {DEMO_PASSWORD!r} as:")
    for user in summary.users:
        typer.echo(f"  {user.email:<28} {user.name:<18} {user.role}")


if __name__ == "__main__":
    app()
