"""wrk.yml: found, validated (file, line, key), merged over the neutral defaults, and every
setting's value with its origin (option > environment > file > default)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from wrk_ansible.config.load import LoadedConfig, find, load, read
from wrk_ansible.config.model import WrkConfig, schema
from wrk_ansible.config.settings import DEFAULT, Settings
from wrk_ansible.contract.template import AGENT_HOSTS, DEFAULT_MATRIX, ORCHESTRATOR_HOST
from wrk_ansible.errors import InputError
from wrk_ansible.registry.inventory import Registry
from wrk_ansible.safeyaml import parse_yaml

REPO = Path(__file__).resolve().parents[2]
NO_ENV: dict[str, str] = {}


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wrk.yml"
    path.write_text(text, encoding="utf-8")
    return path


def settings(path: Path, **env: str) -> Settings:
    return Settings(read(path), environ=env)


def test_no_file_means_neutral_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WRK_CONFIG", raising=False)
    loaded = load(cwd=tmp_path)
    assert (loaded.path, loaded.chosen_by) == (None, "none")
    s = Settings(loaded, environ=NO_ENV)
    assert s.inventory().value == "inventory"
    assert s.inventory().origin == DEFAULT
    assert s.readiness_fresh_hours().value == 25.0
    assert s.quota_fresh_hours().value == 24.0
    assert s.routing_policy().value is None
    assert s.matrix == DEFAULT_MATRIX
    text = json.dumps({k: dict(v) for k, v in DEFAULT_MATRIX.items()})
    for team in ("ace-", "dev-primary", "gemini", "agent-router", "ai_capable"):
        assert team not in text
    assert DEFAULT_MATRIX["claim"]["workstations"] == [ORCHESTRATOR_HOST]
    assert DEFAULT_MATRIX["plan_review"]["workstations"] == [AGENT_HOSTS]


def test_found_walking_up_and_paths_relative_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WRK_CONFIG", raising=False)
    path = write(tmp_path / "repo", "inventory: fleet\nevidence_dir: /abs/evidence\n")
    deep = tmp_path / "repo" / "a" / "b"
    deep.mkdir(parents=True)
    assert find(deep) == path
    loaded = load(cwd=deep)
    assert loaded.chosen_by == "found"
    s = Settings(loaded, environ=NO_ENV)
    assert s.inventory().value == str(tmp_path / "repo" / "fleet")
    assert s.inventory().origin == f"{path}:1"
    assert s.evidence_dir().value == "/abs/evidence"


def test_config_option_wins_over_the_environment_over_the_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = write(tmp_path / "here", "inventory: found\n")
    named = write(tmp_path / "env", "inventory: env\n")
    given = write(tmp_path / "opt", "inventory: opt\n")
    monkeypatch.setenv("WRK_CONFIG", str(named))
    assert load(str(given), cwd=found.parent).path == given
    assert load(None, cwd=found.parent).path == named
    monkeypatch.delenv("WRK_CONFIG")
    assert load(None, cwd=found.parent).path == found


def test_a_named_file_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WRK_CONFIG", str(tmp_path / "nope.yml"))
    with pytest.raises(InputError) as caught:
        load(cwd=tmp_path)
    assert caught.value.path == str(tmp_path / "nope.yml")
    assert "$WRK_CONFIG" in str(caught.value)
    assert "nearest wrk.yml" in str(caught.value)


def test_precedence_option_environment_file_default(tmp_path: Path) -> None:
    path = write(tmp_path, "inventory: file-inv\nreadiness:\n  fresh_hours: 5\n")
    s = settings(path, WRK_INVENTORY="env-inv", WRK_FRESH_HOURS="7")
    assert s.inventory("cli-inv").value == "cli-inv"
    assert s.inventory("cli-inv").origin == "--inventory"
    assert s.inventory().value == "env-inv"
    assert s.inventory().origin == "$WRK_INVENTORY"
    assert s.readiness_fresh_hours(3.0).value == 3.0
    assert s.readiness_fresh_hours().value == 7.0
    plain = settings(path)
    assert plain.inventory().value == str(tmp_path / "file-inv")
    assert plain.readiness_fresh_hours().value == 5.0
    assert plain.readiness_fresh_hours().origin == f"{path}:3"
    assert plain.evidence_dir().origin == DEFAULT


def test_a_bad_environment_number_names_the_variable(tmp_path: Path) -> None:
    s = settings(write(tmp_path, "version: 1\n"), WRK_FRESH_HOURS="soon")
    with pytest.raises(InputError, match="positive number of hours") as caught:
        s.readiness_fresh_hours()
    assert caught.value.field == "$WRK_FRESH_HOURS"


@pytest.mark.parametrize(
    ("text", "field", "line", "message"),
    [
        ("version: 1\ninventroy: x\n", "inventroy", 2, "did you mean 'inventory'?"),
        ("stages:\n  exceute:\n    primary: a\n", "stages", 2, "did you mean 'execute'?"),
        ("stages:\n  claim:\n    primary: 'a b'\n", "stages.claim.primary", 3, "pattern"),
        ("stages:\n  claim:\n    workstations: ['{{ x }}']\n", None, 3, "Jinja template"),
        ("quota:\n  fresh_hours: -1\n", "quota.fresh_hours", 2, "greater than 0"),
        ("agents:\n  - name: c\n    cli: c\n    kinds: [lunch]\n", None, 4, "unknown kind"),
        ("version: 1\nversion: 1\n", "version", 2, "given twice"),
        ("- a\n- b\n", None, 1, "expected a mapping"),
        ("orchestrator_host: $nope\n", "orchestrator_host", 1, "pattern"),
    ],
)
def test_bad_files_name_file_line_and_key(
    tmp_path: Path, text: str, field: str | None, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        read(path)
    err = caught.value
    assert err.path == str(path)
    assert err.line == line
    if field is not None:
        assert err.field == field
    assert message in str(err)


def test_rows_merge_key_by_key_over_the_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "stages:\n  plan_review:\n    workstations: {group: reviewers}\n"
        "  impl-review:\n    primary: claude\n",
    )
    matrix = settings(path).matrix
    review = matrix["plan_review"]
    assert review["workstations"] == {"group": "reviewers", "count": 1}
    assert review["agents"] == "any"  # kept
    assert review["gates"] == DEFAULT_MATRIX["plan_review"]["gates"]
    impl = matrix["impl_review"]  # agents given as a whole: the default's pool goes
    assert impl["primary"] == "claude"
    assert "agents" not in impl
    assert matrix["claim"] == DEFAULT_MATRIX["claim"]


def _registry(**fleet: object) -> Registry:
    return Registry(source="inv", workstations=(), groups={}, fleet_vars=fleet)


def test_agents_come_from_wrk_yml_else_the_inventory_with_a_deprecation_note(
    tmp_path: Path,
) -> None:
    notes: list[str] = []
    old = [{"name": "old", "cli": "old"}]
    inventory = _registry(wrk_agent_catalog=old, wrk_quota_fresh_hours=6)
    none = Settings(LoadedConfig(None, "none"), environ=NO_ENV, note=notes.append)
    policy = none.agent_policy(inventory)
    assert policy.catalog.names == ("old",)
    assert policy.quota_fresh_hours == 6.0
    assert len(notes) == 2
    assert "deprecated" in notes[0]
    assert "agents:" in notes[0]
    none.agent_policy(inventory)
    assert len(notes) == 2  # said once per run
    path = write(tmp_path, "agents:\n  - {name: new, cli: new}\nquota:\n  fresh_hours: 3\n")
    ours = Settings(read(path), environ=NO_ENV, note=notes.append).agent_policy(inventory)
    assert ours.catalog.names == ("new",)
    assert ours.quota_fresh_hours == 3.0
    assert len(notes) == 2


def test_quota_pacing_from_the_file_is_checked(tmp_path: Path) -> None:
    good = write(tmp_path / "a", "quota:\n  pacing:\n    weekly: [[0, 0], [7, 100]]\n")
    pacing = settings(good).agent_policy(_registry()).pacing
    assert pacing.allowed("weekly", 0.5) == pytest.approx(50.0)
    bad = write(tmp_path / "b", "quota:\n  pacing:\n    weekly: [[0, 0], [3, 100]]\n")
    with pytest.raises(InputError, match="elapsed fraction 0 to 1") as caught:
        settings(bad).agent_policy(_registry())
    assert caught.value.field == "quota.pacing.weekly"


def test_the_schema_accepts_the_teams_file_and_refuses_typos() -> None:
    published = schema()
    jsonschema.Draft202012Validator.check_schema(published)
    team = parse_yaml((REPO / "wrk.yml").read_text("utf-8"), "wrk.yml").data
    jsonschema.validate(team, published)
    WrkConfig.model_validate(team)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"inventroy": "x"}, published)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"stages": {"nope": {}}}, published)


def test_the_teams_file_keeps_the_plans_matrix() -> None:
    """This repository's wrk.yml is the team's instance: the plan's table, as before."""
    matrix = Settings(read(REPO / "wrk.yml"), environ=NO_ENV).matrix
    assert matrix["claim"]["advisory"] == ["agent-router", "agent-usage-optimizer"]
    assert matrix["plan_review"]["agents"] == ["claude", "codex", "gemini"]
    assert matrix["plan_review"]["workstations"] == {"group": "ai_capable", "count": 1}
    for stage in ("resource_intelligence", "plan_draft", "claim", "close"):
        assert matrix[stage]["workstations"] == ["ace-linux-1"]
    assert matrix["execute"] == DEFAULT_MATRIX["execute"]
