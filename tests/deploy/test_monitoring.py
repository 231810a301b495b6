"""deploy/monitoring: the Prometheus alert rules, their unit tests and the example configuration
pass promtool (Debian's `prometheus` package, installed by `make test`), and every metric the
rules and the Grafana dashboard's panels ask for is one the app really serves at /metrics
(names with their _total / _bucket / _count / _sum suffixes), read from a scrape of the app."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import IN_CI
from tests.deploy.manifests import DEPLOY

MONITORING = DEPLOY / "monitoring"
RULES = MONITORING / "prometheus-rules.yaml"
RULE_TESTS = MONITORING / "prometheus-rules.test.yaml"
EXAMPLE_CONFIG = MONITORING / "prometheus-example.yaml"
DASHBOARD = MONITORING / "grafana-dashboard.json"
PROMETHEUS_OWN = {"up"}
"""Series Prometheus makes itself for every target, which the rules may use too."""
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
}
GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "6h",
    "${instance}": ".*",
    "$instance": ".*",
}
PROMTOOL_TIMEOUT = 60


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool is not installed (Debian package prometheus; `make test` installs it)"
        if IN_CI:
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)
    return found


def run_promtool(*args: str, cwd: Path = MONITORING) -> str:
    result = subprocess.run(
        [promtool(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=PROMTOOL_TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from panels(item.get("panels", []))


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_queries() -> dict[str, str]:
    """Each panel target's expression as Prometheus gets it (Grafana's variables replaced),
    plus the instance variable's query, by where they come from."""
    queries: dict[str, str] = {}
    for panel in panels(dashboard()["panels"]):
        for target in panel.get("targets", []):
            queries[f"panel {panel['id']} {panel['title']!r} {target['refId']}"] = target["expr"]
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            match = re.fullmatch(r"label_values\((.+), *\w+\)", variable["query"]["query"])
            assert match, variable
            queries[f"variable {variable['name']}"] = match.group(1)
    return {name: _substitute(name, expr) for name, expr in queries.items()}


def _substitute(name: str, expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"{name}: a Grafana variable this test does not know: {expr}"
    return expr


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            assert node.name, f"select metrics by name, not by matching __name__: {expr}"
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The served metric names do not depend on the database: SQLite alone."""
    return str(request.param)


@pytest.fixture
async def served(client: httpx.AsyncClient) -> dict[str, str]:
    """Every `tasklane_` series name the app serves at /metrics after a request, with the name
    of its family (labelled metrics that saw no traffic yet still declare their family)."""
    assert (await client.get("/healthz")).status_code == 200
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    names: dict[str, str] = {}
    for family in text_string_to_metric_families(response.text):
        # prometheus_client's `_created` timestamps are families of their own in the text
        # format; they are not served with several processes, so nothing may rely on them.
        if family.name.startswith("tasklane_") and not family.name.endswith("_created"):
            for suffix in SUFFIXES[family.type]:
                names[family.name + suffix] = family.name
    return names


class TestPromtool:
    def test_the_rules_pass_promtool_check(self) -> None:
        output = run_promtool("check", "rules", RULES.name)
        assert f"SUCCESS: {len(alert_rules())} rules found" in output, output

    def test_the_alerts_fire_on_their_unit_test_series_and_only_then(self) -> None:
        tested = {
            case["alertname"]
            for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
            for case in test["alert_rule_test"]
            if case["exp_alerts"]
        }
        assert tested == {rule["alert"] for rule in alert_rules()}, "every alert is unit-tested"
        assert "SUCCESS" in run_promtool("test", "rules", RULE_TESTS.name)

    def test_the_example_configuration_loads_the_rules(self, tmp_path: Path) -> None:
        # The token file it names must exist for promtool; a real one lives beside the config.
        for path in (EXAMPLE_CONFIG, RULES):
            shutil.copy(path, tmp_path / path.name)
        (tmp_path / "tasklane-metrics-token").write_text("a-metrics-token\n")
        output = run_promtool("check", "config", EXAMPLE_CONFIG.name, cwd=tmp_path)
        assert "SUCCESS: 1 rule files found" in output, output
        scrape = yaml.safe_load(EXAMPLE_CONFIG.read_text())["scrape_configs"]
        assert [job["job_name"] for job in scrape] == ["tasklane"], "the rules select job=tasklane"

    def test_the_dashboard_queries_pass_promtool(self, tmp_path: Path) -> None:
        """Prometheus's own parser on every dashboard query, as recording rules."""
        queries = dashboard_queries()
        rules = [
            {"record": f"tasklane:dashboard_{i}", "expr": e} for i, e in enumerate(queries.values())
        ]
        path = tmp_path / "dashboard-queries.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
        output = run_promtool("check", "rules", path.name, cwd=tmp_path)
        assert f"SUCCESS: {len(rules)} rules found" in output, output


class TestMetricNames:
    def test_every_alert_asks_for_metrics_the_app_serves(self, served: dict[str, str]) -> None:
        for rule in alert_rules():
            unknown = metric_names(rule["expr"]) - served.keys() - PROMETHEUS_OWN
            assert not unknown, f"{rule['alert']}: not served by the app: {sorted(unknown)}"

    def test_every_dashboard_query_asks_for_metrics_the_app_serves(
        self, served: dict[str, str]
    ) -> None:
        for where, expr in dashboard_queries().items():
            unknown = metric_names(expr) - served.keys() - PROMETHEUS_OWN
            assert not unknown, f"{where}: not served by the app: {sorted(unknown)}"

    def test_the_dashboard_shows_every_metric_the_app_serves(self, served: dict[str, str]) -> None:
        """A new metric needs a panel (a histogram's _bucket or _count is enough)."""
        used = set().union(*(metric_names(e) for e in dashboard_queries().values()))
        missing = set(served.values()) - {served[name] for name in used if name in served}
        assert not missing, f"no panel shows {sorted(missing)}"

    def test_the_names_really_are_checked(self, served: dict[str, str]) -> None:
        """The check above is not vacuous: suffix mistakes and made-up names are caught."""
        assert "tasklane_http_request_duration_seconds_bucket" in served
        assert "tasklane_db_statements_total" in served
        assert "tasklane_jobs" in served
        assert "tasklane_event_dispatch_lag_events" in served
        for wrong in (
            "tasklane_http_request_duration_seconds",
            "tasklane_db_statements",
            "tasklane_job_attempts",
            "tasklane_jobs_total",
        ):
            assert wrong not in served, wrong
        assert metric_names('sum(rate(tasklane_db_statements{x="1"}[5m])) / up') == {
            "tasklane_db_statements",
            "up",
        }


class TestDashboard:
    def test_panels_have_unique_ids_and_use_the_datasource_variable(self) -> None:
        board = dashboard()
        ids = [panel["id"] for panel in panels(board["panels"])]
        assert len(ids) == len(set(ids))
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert variables["datasource"]["query"] == "prometheus"
        for panel in panels(board["panels"]):
            if panel["type"] == "row":
                continue
            assert panel["targets"], panel["title"]
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            for target in panel["targets"]:
                assert target["datasource"] == panel["datasource"], panel["title"]

    def test_panels_do_not_overlap(self) -> None:
        taken: set[tuple[int, int]] = set()
        for panel in panels(dashboard()["panels"]):
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, panel["title"]
            cells = {
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not cells & taken, f"{panel['title']} overlaps another panel"
            taken |= cells
