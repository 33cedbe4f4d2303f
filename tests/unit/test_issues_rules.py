"""The team's routing rules file: its model, its loading errors and its matchers."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from _issuekit import REPO, RULES_FILE, rules

from wrk_ansible.errors import InputError
from wrk_ansible.issues.rules import domain_matches, family_matches, load_rules, parse_rules

TEXT = RULES_FILE.read_text(encoding="utf-8")


def test_the_real_file_loads_with_every_section() -> None:
    r = rules()
    assert list(r.label_axes.single) == ["status:", "machine:", "lane:", "agent:", "ai:"]
    assert list(r.label_axes.multi) == ["domain:", "cat:", "needs:"]
    assert r.machines["cfd-dedicated"].hostname == "gpu-claw"
    win2 = r.machines["licensed-win-2"]
    assert win2.available is False
    assert win2.blocked_on
    assert win2.blocked_on.startswith("wh#3721")
    assert win2.unavailable_since == datetime.datetime(2026, 7, 31, 11, 0, tzinfo=datetime.UTC)
    win1 = r.machines["licensed-win-1"]
    assert win1.shared_tenancy
    assert win1.capacity == "heavy"
    assert win1.concurrency == {"aqwa": 2}
    assert win1.licence_verified["aqwa"].at == datetime.date(2026, 7, 31)
    assert win1.dispatch_path == {
        "orcaflex": "scheduled-task",
        "orcawave": "scheduled-task",
        "aqwa": "any",
    }
    assert r.machine_aliases == {
        "ace-linux-1": "dev-primary",
        "ace-linux-2": "dev-secondary",
        "gpu-claw": "cfd-dedicated",
    }
    assert r.providers["agy"].auto_routable is False
    assert r.providers["hermes"].budget_pool == "codex_pool"
    assert r.solver_pools["orcina_flex"].max_concurrent == 1
    assert r.budget_pools["codex_pool"].members == ("codex", "hermes")
    assert r.wip_caps.per_machine["licensed-win-1"] == 2
    assert r.wip_caps.overflow == "queue"
    assert len(r.rules) == 4
    assert r.rules[3].match.model_dump(exclude_none=True) == {}
    assert r.defaults.provider == "claude"
    assert r.defaults.skip_if_labeled == (
        "wip",
        "blocked",
        "status:plan-review",
    )


def test_the_teams_config_copy_is_the_fixture_under_its_header() -> None:
    config = (REPO / "config" / "routing-rules.yml").read_text(encoding="utf-8")
    assert config.endswith(TEXT)
    assert config.startswith("# The team's label routing rules")
    assert "routing_rules: config/routing-rules.yml" in (REPO / "wrk.yml").read_text(
        encoding="utf-8"
    )
    assert load_rules(str(REPO / "config" / "routing-rules.yml")) == rules()


def test_names_a_roster_machine_goes_by() -> None:
    r = rules()
    assert r.names_of("cfd-dedicated") == ("cfd-dedicated", "gpu-claw")
    assert r.names_of("ace-linux-1") == ("ace-linux-1", "dev-primary")
    assert r.names_of("licensed-win-1") == ("licensed-win-1",)
    assert r.names_of("ace-win-1") == ("ace-win-1",)  # not in the roster: only as written
    assert r.fold("GPU-CLAW") == "cfd-dedicated"


def _broken(old: str, new: str) -> InputError:
    assert old in TEXT
    with pytest.raises(InputError) as caught:
        parse_rules(TEXT.replace(old, new, 1), "rules.yaml")
    return caught.value


def _line(text: str) -> int:
    return TEXT[: TEXT.index(text)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            'notes: "this box',
            'nots: "this box',
            "machines.dev-primary.nots",
            "unknown key 'nots'; keys: os, role",
        ),
        (
            "domain_family: solver}",
            "domian_family: solver}",
            "rules.0.match.domian_family",
            "unknown key 'domian_family'; keys: repo, domain, domain_family, gh_label",
        ),
        (
            "assign: {machine: cfd-dedicated}",
            "assign: {machine: cfd-dedicatd}",
            "rules.2.assign.machine",
            "machine 'cfd-dedicatd' is not in machines",
        ),
        (
            "assign: {machine: cfd-dedicated}",
            "assign: {machine: cfd-dedicated, provider: gemini}",
            "rules.2.assign.provider",
            "provider 'gemini' is not in providers (claude, codex, hermes, agy)",
        ),
        (
            "  provider: claude\n  machine: dev-primary",
            "  provider: gemini\n  machine: dev-primary",
            "defaults.provider",
            "provider 'gemini' is not in providers",
        ),
        (
            "auto_routable: false,",
            "auto_routable: nope,",
            "providers.agy.auto_routable",
            "Input should be a valid boolean",
        ),
        (
            "  gpu-claw: cfd-dedicated",
            "  gpu-claw: cfd-node",
            "machine_aliases.gpu-claw",
            "maps to 'cfd-node', which is not in machines",
        ),
        (
            "budget_pool: google_ai_pool",
            "budget_pool: google_pool",
            "providers.agy.budget_pool",
            "budget pool 'google_pool' is not in budget_pools",
        ),
        (
            "available: false,\n",
            'available: "no",\n',
            "machines.licensed-win-2.available",
            "Input should be a valid boolean",
        ),
        (
            "    assign: {machine: dev-primary}",
            "    assign: {}",
            "rules.3.assign",
            "rule 4 assigns neither a machine nor a provider",
        ),
    ],
)
def test_a_broken_rules_file_names_file_line_and_key(
    old: str, new: str, field: str, message: str
) -> None:
    error = _broken(old, new)
    assert error.path == "rules.yaml"
    assert error.field == field
    assert message in error.detail
    # The line of the key, or of the mapping that holds it (flow mappings share one line).
    assert error.line is not None
    assert abs(error.line - _line(old.strip().split("\n")[0])) <= 2


def test_a_key_given_twice_and_a_missing_section() -> None:
    error = _broken("defaults:\n", "defaults:\n  provider: codex\n")
    assert error.field == "defaults.provider"
    assert "given twice" in error.detail
    error = _broken("defaults:\n", "defaultz:\n")
    assert error.field == "defaults"
    assert "Field required" in error.detail


def test_top_level_sections_wrk_does_not_read_are_kept(tmp_path: Path) -> None:
    extended = TEXT + "\nteam_dashboards:\n  url: https://example.invalid\n"
    assert parse_rules(extended, "r.yaml").extras == {
        "team_dashboards": {"url": "https://example.invalid"}
    }


def test_family_matches_the_parent_and_its_children_only() -> None:
    assert family_matches("hydro", "hydro")
    assert family_matches("hydro", "hydro-diffraction")
    assert family_matches("Hydro", "HYDRO-rao")
    assert not family_matches("hydro", "hydrocarbon")
    assert not family_matches("hydro", "hydrostatic")
    assert not family_matches("solver", "solverless")
    assert not family_matches("hydro-diffraction", "hydro")


def test_domain_is_exact_or_a_glob() -> None:
    assert domain_matches("cfd", "cfd")
    assert not domain_matches("cfd", "cfd-mesh")
    assert domain_matches("solver-*", "solver-orcaflex")
    assert not domain_matches("solver-*", "solver")
    assert domain_matches("hydr?", "hydro")
    assert not domain_matches("hydr?", "hydrocarbon")
    assert domain_matches("[ab]x", "ax")
    assert not domain_matches("[ab]x", "cx")


def test_rule_matchers_all_must_hold() -> None:
    r = rules()
    dm = "vamseeachanta/digitalmodel"
    assert r.first_match(dm, ["domain:solver-orcaflex"])[0] == 1  # type: ignore[index]
    assert r.first_match(dm, ["domain:hydro-diffraction"])[0] == 2  # type: ignore[index]
    # hydrocarbon is not of the hydro family: only the catch-all matches.
    assert r.first_match(dm, ["domain:hydrocarbon"])[0] == 4  # type: ignore[index]
    # The repo matcher: the same domain in another repository does not pin to Windows.
    assert r.first_match("vamseeachanta/workspace-hub", ["domain:solver"])[0] == 4  # type: ignore[index]
    assert r.first_match("VamseeAchanta/DigitalModel", ["domain:solver"])[0] == 1  # type: ignore[index]
    # gh_label is any label, equal (not a prefix, not a domain value).
    assert r.first_match("o/r", ["domain:cfd"])[0] == 3  # type: ignore[index]
    assert r.first_match("o/r", ["domain:cfd-mesh"])[0] == 4  # type: ignore[index]
    # A domain matcher reads domain: labels only.
    assert r.first_match(dm, ["cat:solver"])[0] == 4  # type: ignore[index]
    # match: {} matches an issue with no labels at all.
    assert r.first_match("o/r", [])[0] == 4  # type: ignore[index]
