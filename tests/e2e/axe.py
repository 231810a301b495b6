"""axe-core in the browser tests: the copy pinned in web/package.json, injected into the page
from web/node_modules (nothing is downloaded while the tests run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.browser import unavailable
from tests.e2e.conftest import ROOT

AXE_JS = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = frozenset({"serious", "critical"})
# The app's Content-Security-Policy allows no inline script, and that is how axe goes in.
CONTEXT_OPTIONS = {"bypass_csp": True}

# Only the violations, and only what a report needs: the full result is large and slow to pass.
_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), why: n.failureSummary })),
    count: v.nodes.length,
  }));
}"""


@dataclass(frozen=True)
class Violation:
    id: str
    impact: str
    help: str
    nodes: list[dict[str, str]]
    count: int

    @property
    def blocking(self) -> bool:
        return self.impact in BLOCKING

    def describe(self) -> str:
        where = "\n".join(f"    {n['target']}: {n['why']}".replace("\n", " ") for n in self.nodes)
        return f"  [{self.impact}] {self.id}: {self.help} ({self.count} elements)\n{where}"


def check(page: Any) -> list[Violation]:
    """Run axe on the page as it is now and return every violation found."""
    if not AXE_JS.is_file():
        unavailable(f"axe-core is not installed ({AXE_JS} is missing). Run `npm ci` in web/.")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    return [Violation(**v) for v in page.evaluate(_RUN)]


def report(name: str, violations: list[Violation]) -> str:
    if not violations:
        return f"{name}: no violations"
    return f"{name}:\n" + "\n".join(v.describe() for v in violations)
