"""The pure parts of inventory writes: parsing KEY=VALUE, validation, !unsafe, round trips."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from wrk_ansible.errors import InputError
from wrk_ansible.registry import ops
from wrk_ansible.registry.edit import edit_inventory
from wrk_ansible.registry.values import (
    check_value,
    parse_value,
    plain_safe,
    split_assignment,
    to_plain,
    to_yaml,
)
from wrk_ansible.registry.yamldoc import guess_indent, load_document, split_preamble

FIXTURE = Path(__file__).parents[1] / "fixtures" / "inventory-edit"
CANARY = "{{ lookup('pipe','touch CANARY') }}"


def _check(key: str, raw: str, *, allow: bool = False) -> object:
    return check_value(
        "ws", key, parse_value(raw, key=key), path="f.yml", allow_connection_vars=allow, raw=raw
    )


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("wrk_agents", "[claude,codex]", ["claude", "codex"]),
        ("wrk_agents", "claude,codex", ["claude", "codex"]),
        ("wrk_access", "ssh", "ssh"),
        ("ansible_port", "2222", 2222),
        ("wrk_notes", "yes", "yes"),  # YAML 1.1 would say True; the schema wants text
        ("wrk_notes", "123", "123"),
        ("wrk_notes", "key: value", "key: value"),
        ("wrk_gpu", "false", False),
        ("wrk_gpu", "rtx-3090x2", "rtx-3090x2"),
        ("wrk_notes", CANARY, CANARY),
        (
            "wrk_tools",
            "[git, {name: uv, version: '0.5'}]",
            ["git", {"name": "uv", "version": "0.5"}],
        ),
        ("ansible_connection", "local", "local"),
    ],
)
def test_values_parse_and_validate(key: str, raw: str, expected: object) -> None:
    assert _check(key, raw) == expected


@pytest.mark.parametrize(
    ("key", "raw", "fragment"),
    [
        ("wrk_access", "telnet", "wrk_access"),
        ("ansible_port", "abc", "ansible_port"),
        ("ansible_port", "70000", "less than or equal"),
        ("wrk_bogus", "1", "unknown key wrk_bogus"),
        ("wrk_acess", "ssh", "did you mean wrk_access"),
        ("team_var", "1", "unknown key team_var"),
        ("ansible_connection", "docker", "must be one of"),
        ("ansible_ssh_common_args", "-o ProxyCommand=x", "--allow-connection-vars"),
        ("ansible_ssh_extra_args", "-v", "--allow-connection-vars"),
        ("ansible_shell_executable", "/bin/evil", "--allow-connection-vars"),
        ("ansible_become_exe", "evil", "--allow-connection-vars"),
        ("ansible_python_interpreter", "/bin/sh -c x", "ansible_python_interpreter"),
        ("wrk_tools", CANARY, "Jinja template"),
        ("wrk_agents", "[[1]]", "wrk_agents"),
    ],
)
def test_bad_values_name_host_and_key(key: str, raw: str, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        _check(key, raw)
    assert fragment in str(caught.value)
    assert caught.value.field == key
    assert "'ws'" in str(caught.value) or "unknown key" not in fragment


def test_connection_vars_pass_with_the_flag() -> None:
    assert _check("ansible_ssh_common_args", "-o X=y", allow=True) == "-o X=y"
    assert _check("ansible_connection", "docker", allow=True) == "docker"


@pytest.mark.parametrize("text", ["novalue", "=x", "bad key=1", "wrk_notes=", "wrk_notes=  "])
def test_bad_assignments(text: str) -> None:
    with pytest.raises(InputError):
        split_assignment(text)


def test_aliases_in_values_are_refused() -> None:
    with pytest.raises(InputError, match="aliases"):
        parse_value("[&a x, *a]", key="wrk_tools")


def test_key_given_twice_is_refused() -> None:
    with pytest.raises(InputError, match="more than once"):
        ops.parse_assignments(["wrk_notes=a", "wrk_notes=b"])


def _dump(value: object) -> str:
    out = io.StringIO()
    YAML().dump({"k": value}, out)
    return out.getvalue()


def test_template_strings_are_tagged_unsafe_at_any_depth() -> None:
    text = _dump(to_yaml({"a": [CANARY, "plain"], "b": "{% if %}", "c": "{# c #}"}))
    assert text.count("!unsafe") == 3
    loaded = to_plain(YAML().load(text))
    assert loaded == {"k": {"a": [CANARY, "plain"], "b": "{% if %}", "c": "{# c #}"}}


@pytest.mark.parametrize("text", ["yes", "on", "No", "1.0", "2026-01-01", "~", "null", "0x1f"])
def test_ambiguous_strings_are_quoted_for_yaml_1_1(text: str) -> None:
    assert not plain_safe(text)
    assert yaml.safe_load(_dump(to_yaml(text))) == {"k": text}


def test_every_fixture_file_round_trips_byte_for_byte() -> None:
    for path in FIXTURE.rglob("*.yml"):
        doc = load_document(path)
        assert doc.render() == path.read_text(encoding="utf-8"), path


def test_indentation_and_preamble_are_found() -> None:
    assert guess_indent("a:\n    - x\n    - y\nb:\n  c: 1\n") == (2, 6, 4)
    assert guess_indent("a:\n- x\nb:\n    c: 1\n") == (4, 4, 0)
    assert guess_indent("a: |\n    - not a list\nb: 1\n") == (2, 2, 0)
    assert split_preamble("# top\n---\na: 1\n") == ("# top\n---\n", "a: 1\n")
    assert split_preamble("a: 1\n") == ("", "a: 1\n")


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "hosts.yml"
    bad.write_text("all:\n  children: [\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_document(bad)
    assert str(bad) in str(caught.value)


def _copy(tmp_path: Path) -> Path:
    inv = tmp_path / "inventory"
    shutil.copytree(FIXTURE, inv)
    return inv


def test_error_inside_an_edit_writes_nothing(tmp_path: Path) -> None:
    inv = _copy(tmp_path)
    before = (inv / "host_vars" / "ws_one.yml").read_bytes()

    def two_sets() -> None:
        with edit_inventory(str(inv)) as edit:
            ops.set_vars(edit, "ws_one", ops.parse_assignments(["wrk_notes=changed"]))
            ops.set_vars(edit, "ws_one", ops.parse_assignments(["wrk_access=telnet"]))

    with pytest.raises(InputError):
        two_sets()
    assert (inv / "host_vars" / "ws_one.yml").read_bytes() == before


def test_resolve_is_case_insensitive_and_knows_aliases(tmp_path: Path) -> None:
    inv = _copy(tmp_path)
    with edit_inventory(str(inv), dry_run=True) as edit:
        assert ops.resolve(edit, "WS_ONE") == "ws_one"
        assert ops.resolve(edit, "ws-one-old") == "ws_one"
        assert ops.resolve(edit, "OLD-BOX") == "ws_retired"
        with pytest.raises(InputError, match="did you mean ws_one"):
            ops.resolve(edit, "ws_onr")


def test_state_rules(tmp_path: Path) -> None:
    inv = _copy(tmp_path)
    with edit_inventory(str(inv)) as edit:
        assert ops.drain(edit, "ws_one", "disk swap", since="2026-02-02T00:00:00Z")
        assert edit.vars_of("ws_one")["wrk_state"] == "drained"
        assert not ops.drain(edit, "ws_one", "disk swap")  # same reason: unchanged
        assert ops.resume(edit, "ws_one")
        assert "wrk_state_reason" not in edit.vars_of("ws_one")
        assert not ops.resume(edit, "ws_one")
        for verb in (
            lambda: ops.drain(edit, "ws_retired", "x"),
            lambda: ops.resume(edit, "ws_retired"),
            lambda: ops.set_vars(edit, "ws_retired", ops.parse_assignments(["wrk_agents=[a]"])),
            lambda: ops.set_vars(edit, "ws_one", ops.parse_assignments(["wrk_state=active"])),
            lambda: ops.unset_var(edit, "ws_one", "wrk_state"),
        ):
            with pytest.raises(InputError):
                verb()
        ops.set_vars(edit, "ws_retired", ops.parse_assignments(["wrk_notes=kept for history"]))
        assert ops.resume(edit, "ws_retired", unretire=True)
        assert edit.vars_of("ws_retired")["wrk_state"] == "active"


@pytest.mark.parametrize(
    "interpreter",
    ["/usr/bin/python3$(id)", "/usr/bin/python3;id", "/usr/bin/`id`", "python3 -c x"],
)
def test_an_interpreter_is_one_plain_path(interpreter: str) -> None:
    with pytest.raises(InputError, match="ansible_python_interpreter"):
        check_value(
            "ws1",
            "ansible_python_interpreter",
            interpreter,
            path="inv",
            allow_connection_vars=False,
            raw=interpreter,
        )
    assert (
        check_value(
            "ws1",
            "ansible_python_interpreter",
            "/usr/bin/python3.11",
            path="inv",
            allow_connection_vars=False,
            raw=None,
        )
        == "/usr/bin/python3.11"
    )
