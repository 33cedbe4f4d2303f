"""The capacity a team declares (issue 17, part 1): ``capacity:`` in wrk.yml, or the rules
file's pools, caps and concurrency, in one model. Expectations read off the team's real
routing-rules-2026-08.yaml by hand (its solver_pools, budget_pools, wip_caps, machines)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _issuekit import rules

from wrk_ansible.capacity.model import Capacity, WipCaps
from wrk_ansible.config.load import read
from wrk_ansible.config.settings import Settings
from wrk_ansible.errors import InputError


def test_the_team_rules_file_declares_its_pools_caps_and_concurrency() -> None:
    team = rules().capacity()
    (name, flex), *_ = team.pools_of_feature("OrcaWave")
    assert (name, flex.members, flex.max_concurrent) == ("orcina_flex", ("orcaflex", "orcawave"), 1)
    assert str(flex.expiry) == "2027-03-15"
    assert team.pools_of_feature("aqwa") == []  # no fleet-wide pool: per host only
    (pool, codex), *_ = team.pools_of_provider("hermes")
    assert (pool, codex.members, codex.max_concurrent) == ("codex_pool", ("codex", "hermes"), 3)
    assert [p for p, _ in team.pools_of_provider("agy")] == ["google_ai_pool"]
    assert team.pools_of_provider("claude") == []
    caps = team.wip_caps
    assert caps is not None
    assert caps.machine_cap(("dev-primary",)) == ("dev-primary", 3)
    assert caps.machine_cap(("ace-win-1", "licensed-win-1")) == ("licensed-win-1", 2)
    assert caps.machine_cap(("macbook-portable",)) == ("default", 1)  # fail-closed
    assert caps.provider_cap("claude") == 4
    assert caps.provider_cap("gemini") == 1
    assert caps.provider_cap("codex") is None  # governed by codex_pool instead
    assert caps.overflow == "queue"
    assert team.host_concurrency(("ace-win-1", "licensed-win-1")) == {"aqwa": 2}
    assert team.host_concurrency(("dev-primary",)) == {}


def test_without_a_wip_caps_section_no_machine_is_capped() -> None:
    assert WipCaps().machine_cap(("anything",)) is None
    assert Capacity().empty
    assert Capacity().summary() == "nothing capped"
    listed = WipCaps(per_machine={"build1": 2})
    assert listed.machine_cap(("build1",)) == ("build1", 2)
    assert listed.machine_cap(("other",)) is None  # no default: only the listed ones


def _settings(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "wrk.yml"
    path.write_text(text, encoding="utf-8")
    return Settings(read(path), environ={})


def test_capacity_in_wrk_yml_wins_over_the_rules_file(tmp_path: Path) -> None:
    chosen = _settings(
        tmp_path,
        "version: 1\nrouting_rules: rules.yml\ncapacity:\n"
        "  solver_pools: {flex: {members: [orcaflex], max_concurrent: 2}}\n"
        "  wip_caps: {per_machine: {default: 1, build1: 4}}\n"
        "  concurrency: {build1: {aqwa: 2}}\n",
    )
    picked = chosen.capacity(lambda: pytest.fail("the rules file must not be read"))
    assert picked.origin.endswith("wrk.yml:3")
    assert picked.value.solver_pools["flex"].max_concurrent == 2
    assert picked.value.host_concurrency(("BUILD1",)) == {"aqwa": 2}


def test_the_rules_file_is_read_when_wrk_yml_has_no_capacity(tmp_path: Path) -> None:
    chosen = _settings(tmp_path, "version: 1\nrouting_rules: rules.yml\n")
    picked = chosen.capacity(lambda: rules().capacity())
    assert "rules.yml (routing_rules" in picked.origin
    assert picked.value.wip_caps is not None
    bare = _settings(tmp_path, "version: 1\n")
    assert bare.capacity(lambda: pytest.fail("no rules file is configured")).value.empty


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("  solver_pools: {flex: {members: [orcaflex], max_concurent: 1}}\n", "max_concurrent"),
        ("  wip_caps: {per_machine: {build1: -1}}\n", "build1"),
        ("  budget_pools: {p: {members: [], max_concurrent: 1}}\n", "members"),
        ("  concurrency: {build1: {aqwa: 0}}\n", "aqwa"),
    ],
)
def test_a_wrong_capacity_is_refused_naming_the_field(
    tmp_path: Path, section: str, field: str
) -> None:
    with pytest.raises(InputError) as caught:
        _settings(tmp_path, "version: 1\ncapacity:\n" + section)
    assert field in str(caught.value)
    assert "wrk.yml" in str(caught.value)
