"""Every write to the inventory goes through here: locked, atomic, comment-preserving.

An edit holds a lock file next to the inventory (``.wrk-inventory.lock``: hidden, so Ansible
never reads it) for its whole read-modify-write, so concurrent ``wrk inventory`` processes
serialise and none loses another's change. Files are ruamel.yaml round-tripped (comments, key
order, quoting and indentation survive) and replaced atomically: written to a temp file in the
same folder, fsynced, renamed over the old one, so a crash leaves the old file or the new one.
Temp files are hidden (``.wrk-*.tmp``: Ansible ignores them) and the next writer removes any a
killed process left behind. Nothing is written unless the whole edit is valid; an edit that
touches several files replaces them one by one (each atomically), so a crash between two can
leave the first written and not the second: run the command again to complete it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from filelock import FileLock, Timeout
from ruamel.yaml.comments import CommentedMap

from wrk_ansible.atomic import clean_temp_files, replace_file
from wrk_ansible.errors import InputError, WrkError
from wrk_ansible.registry.values import plain_safe, to_plain
from wrk_ansible.registry.yamldoc import Document, load_document

LOCK_NAME: Final = ".wrk-inventory.lock"
LOCK_TIMEOUT: Final = 120.0
HOSTS_FILES: Final = ("hosts.yml", "hosts.yaml")


@dataclass
class Layout:
    """Where an inventory's files are."""

    root: Path
    hosts_file: Path

    @property
    def host_vars_dir(self) -> Path:
        return self.root / "host_vars"

    @classmethod
    def of(cls, source: str) -> Layout:
        path = Path(source)
        if path.is_file():
            return cls(path.parent, path)
        for name in HOSTS_FILES:
            if (path / name).is_file():
                return cls(path, path / name)
        return cls(path, path / HOSTS_FILES[0])


@dataclass
class InventoryEdit:
    """The inventory as files, open for one locked edit. Call :meth:`commit` to write."""

    layout: Layout
    hosts: Document
    _vars: dict[str, Document] = field(default_factory=dict)
    _extra: dict[Path, Document] = field(default_factory=dict)
    _deleted: list[Path] = field(default_factory=list)

    # --- reading -----------------------------------------------------------------------
    def _groups(self) -> Iterator[tuple[str, CommentedMap]]:
        """Every group mapping in hosts.yml (a group may be listed more than once)."""
        stack: list[tuple[str, Any]] = list(self.hosts.data.items())
        while stack:
            name, body = stack.pop(0)
            if not isinstance(body, CommentedMap):
                continue
            yield str(name), body
            children = body.get("children")
            if isinstance(children, CommentedMap):
                stack.extend(children.items())

    def host_names(self) -> list[str]:
        """Every host in hosts.yml, in file order."""
        names: list[str] = []
        for _, body in self._groups():
            hosts = body.get("hosts")
            if isinstance(hosts, CommentedMap):
                names.extend(str(h) for h in hosts if str(h) not in names)
        return names

    def groups_of(self, host: str) -> list[str]:
        out: list[str] = []
        for name, body in self._groups():
            hosts = body.get("hosts")
            if isinstance(hosts, CommentedMap) and host in hosts and name not in out:
                out.append(name)
        return out

    def group_names(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self._groups()))

    def host_vars_path(self, host: str) -> Path:
        folder = self.layout.host_vars_dir
        if (folder / host).is_dir():
            raise InputError(
                "host vars kept in a folder are not edited by wrk; move them into "
                f"host_vars/{host}.yml",
                path=str(folder / host),
            )
        for ext in (".yml", ".yaml"):
            if (folder / f"{host}{ext}").exists():
                return folder / f"{host}{ext}"
        return folder / f"{host}.yml"

    def host_vars(self, host: str) -> Document:
        """The host's vars file, loaded once per edit (created on commit when missing)."""
        if host not in self._vars:
            self._vars[host] = load_document(self.host_vars_path(host), what="host vars file")
        return self._vars[host]

    def vars_of(self, host: str) -> dict[str, Any]:
        plain = to_plain(self.host_vars(host).data)
        return plain if isinstance(plain, dict) else {}

    def names(self) -> dict[str, str]:
        """Every host name and alias, lower-cased, -> the host it names."""
        out = {h.lower(): h for h in self.host_names()}
        for host in self.host_names():
            for alias in self.vars_of(host).get("wrk_aliases") or ():
                out.setdefault(str(alias).lower(), host)
        return out

    def document(self, path: Path) -> Document:
        """Another file of the inventory (e.g. the importer's record), edited in this lock."""
        if path not in self._extra:
            self._extra[path] = load_document(path, what="file")
        return self._extra[path]

    # --- changing -----------------------------------------------------------------------
    def _group_body(self, group: str) -> CommentedMap:
        for name, body in self._groups():
            if name == group:
                return body
        root = self.hosts.data
        top = root.setdefault("all", CommentedMap())
        if not isinstance(top, CommentedMap):
            top = root["all"] = CommentedMap()
        children = top.setdefault("children", CommentedMap())
        if not isinstance(children, CommentedMap):
            children = top["children"] = CommentedMap()
        body = children[group] = CommentedMap()
        return body

    def add_to_group(self, host: str, group: str) -> bool:
        body = self._group_body(group)
        hosts = body.get("hosts")
        if not isinstance(hosts, CommentedMap):
            hosts = body["hosts"] = CommentedMap()
        if host in hosts:
            return False
        hosts[host if plain_safe(host) else _quoted(host)] = None
        return True

    def remove_from_group(self, host: str, group: str) -> bool:
        removed = False
        for name, body in self._groups():
            hosts = body.get("hosts")
            if name == group and isinstance(hosts, CommentedMap) and host in hosts:
                del hosts[host]
                removed = True
        return removed

    def rename_host(self, old: str, new: str) -> None:
        """Give host ``old`` the name ``new``: its group entries and its vars file move."""
        for _, body in self._groups():
            hosts = body.get("hosts")
            if isinstance(hosts, CommentedMap) and old in hosts:
                position = list(hosts).index(old)
                value = hosts.pop(old)
                hosts.insert(position, new, value)
        source = self.host_vars(old)
        target = self.host_vars(new)
        target.data, target.preamble, target.yaml = source.data, source.preamble, source.yaml
        if source.original is not None:
            self._deleted.append(source.path)
        del self._vars[old]

    def changed_files(self) -> list[Path]:
        docs = [*self._vars.values(), self.hosts, *self._extra.values()]
        return [doc.path for doc in docs if doc.changed] + list(self._deleted)

    def commit(self) -> list[Path]:
        """Write every changed file (host vars, then hosts.yml, then the rest); return them."""
        written = []
        for doc in [*self._vars.values(), self.hosts, *self._extra.values()]:
            if doc.changed:
                replace_file(doc.path, doc.render())
                written.append(doc.path)
            if doc is self.hosts:
                for path in self._deleted:
                    path.unlink(missing_ok=True)
                    written.append(path)
        return written


def _quoted(text: str) -> Any:
    from ruamel.yaml.scalarstring import SingleQuotedScalarString

    return SingleQuotedScalarString(text)


@contextmanager
def edit_inventory(
    source: str, *, create: bool = False, dry_run: bool = False
) -> Iterator[InventoryEdit]:
    """Lock the inventory at ``source``, yield it for editing, write it if no error escaped.

    ``create`` makes a missing inventory directory; ``dry_run`` writes nothing at all.
    """
    layout = Layout.of(source)
    if not layout.root.is_dir():
        if not create:
            raise InputError("no such inventory directory", path=str(layout.root))
        if dry_run:
            yield InventoryEdit(layout, load_document(layout.hosts_file))
            return
        layout.root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(layout.root / LOCK_NAME), timeout=LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        raise WrkError(
            f"{layout.root}: another wrk process has held the inventory lock "
            f"({LOCK_NAME}) for {LOCK_TIMEOUT:g} s; try again"
        ) from None
    try:
        if not dry_run:
            clean_temp_files(layout.root, layout.host_vars_dir)
        edit = InventoryEdit(layout, load_document(layout.hosts_file))
        yield edit
        if not dry_run:
            edit.commit()
    finally:
        lock.release()
