# Copyright: wrk-ansible contributors
# MIT License
"""Inventory plugin: serve a team's legacy registry.yaml to Ansible as an inventory."""

from __future__ import annotations

DOCUMENTATION = r"""
name: wrk_registry
short_description: Workstations from a legacy wrk registry.yaml
description:
  - Reads a legacy workstation registry (a C(machines:) mapping keyed by logical name) and
    gives the same hosts, groups and C(wrk_*) vars as C(wrk inventory import) would write,
    for teams that keep registry.yaml as their source of truth during a migration.
  - Logical names become hosts; C(hostname) and C(hostname_aliases) become C(wrk_aliases);
    a null C(ssh) becomes C(wrk_access=none); licenses implied by tools, roles and notes become
    C(wrk_licenses) entries marked C(inferred). Groups are linux, windows, macos, licensed,
    ai_capable and gpu.
  - Values are served as data, never as templates.
  - The config file name must end in C(wrk_registry.yml) or C(wrk_registry.yaml).
options:
  plugin:
    description: Marks the file as a config for this plugin.
    required: true
    choices: ['wrk_registry']
  registry:
    description: The legacy registry.yaml; a relative path is relative to this config file.
    required: true
    type: str
"""

EXAMPLES = r"""
# inventory/fleet.wrk_registry.yml
plugin: wrk_registry
registry: ../config/registry.yaml
"""

import os
import sys

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

try:
    from wrk_ansible.errors import WrkError
    from wrk_ansible.registry.legacy_registry import map_registry
    from wrk_ansible.safeyaml import parse_yaml, read_text
except ImportError:
    # The mapping lives in the wrk_ansible package (one source, shared with the importer). wrk
    # installs next to ansible-core, so this import normally works; when Ansible runs from a
    # checkout without wrk installed, use the package from the checkout this plugin sits in.
    _ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if not os.path.isfile(os.path.join(_ROOT, "wrk_ansible", "registry", "legacy_registry.py")):
        raise
    sys.path.append(_ROOT)
    from wrk_ansible.errors import WrkError
    from wrk_ansible.registry.legacy_registry import map_registry
    from wrk_ansible.safeyaml import parse_yaml, read_text

_SUFFIXES = ("wrk_registry.yml", "wrk_registry.yaml")
_MAX_BYTES = 4 * 1024 * 1024


def _read_registry(path):
    """The registry mapped, or AnsibleParserError naming its file, line and field.

    Read as wrk reads every file it does not control (wrk_ansible.safeyaml: a size cap, no NUL
    or invalid UTF-8, no aliases), so an error says "registry.yaml:4 [machines.box.os]: ..."
    like ``wrk inventory import`` does. Plain Python data, untrusted by Ansible, never templated.
    """
    try:
        parsed = parse_yaml(read_text(path, max_bytes=_MAX_BYTES, what="registry"), path)
        return map_registry(parsed.data, path, line_of=parsed.line_of)
    except WrkError as exc:
        raise AnsibleParserError("wrk_registry: %s" % exc) from None


class InventoryModule(BaseInventoryPlugin):
    """Hosts, groups and wrk_* vars from a legacy registry.yaml."""

    NAME = "wrk_registry"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(_SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        registry = os.path.join(
            os.path.dirname(os.path.abspath(path)), os.path.expanduser(self.get_option("registry"))
        )
        mapped = _read_registry(registry)
        for group in mapped.groups:
            self.inventory.add_group(group)
        for host, host_vars in mapped.hosts.items():
            self.inventory.add_host(host)
            for key, value in host_vars.items():
                self.inventory.set_variable(host, key, value)
        for group, members in mapped.groups.items():
            for host in members:
                self.inventory.add_child(group, host)
