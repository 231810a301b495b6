"""The `tasklane` command."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn

from tasklane import migrate as migrations
from tasklane.config import Settings

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
    tasks_per_project: Annotated[int, typer.Option(min=1, max=5000)] = 80,
) -> None:
    """Fill a demo workspace ("Acme Robotics") with users, projects, tasks and comments."""
    from tasklane.demo import DEMO_PASSWORD, DemoExists, fill_demo  # noqa: PLC0415
    from tasklane.runtime import Runtime  # noqa: PLC0415

    settings = _settings()
    migrations.upgrade(settings.resolved_database_url)

    async def run() -> None:
        runtime = Runtime.build(settings)
        try:
            summary = await fill_demo(runtime, seed=seed, tasks_per_project=tasks_per_project)
        except DemoExists as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        finally:
            await runtime.close()
        typer.echo(
            f"demo workspace ready: {summary.projects} projects, {summary.tasks} tasks, "
            f"{summary.comments} comments"
        )
        typer.echo(f"sign in as any of {', '.join(summary.users)} with password {DEMO_PASSWORD}")

    asyncio.run(run())


if __name__ == "__main__":
    app()
