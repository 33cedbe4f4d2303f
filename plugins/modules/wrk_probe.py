#!/usr/bin/python
# Copyright: wrk-ansible contributors
# MIT License (see the project's pyproject.toml)
"""Ansible module: probe a workstation's readiness in one execution."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wrk_probe
short_description: Observe whether a workstation is ready for a stage of a work item
description:
  - Checks, in one module execution, the tools (presence and minimum version), license
    features (license file and expiry, or FlexLM/RLM server reachability and free seats),
    free disk space and TCP endpoints a stage needs, and gathers basic facts.
  - It also reports the host's C(dimensions) (cores and RAM, free space at its declared
    storage, its declared solvers and agents, optionally a git work tree), facts for grading
    the host against a baseline that never change whether it is ready.
  - It only observes; it never changes the host and always returns C(changed=false).
  - A failed check does not fail the task; the result carries O(ignore:ready=false) and a reason
    per check. The task fails only on malformed arguments.
  - The checks live in the C(wrk_probe) module_utils file, which also runs as a stand-alone
    script for hosts probed through M(ansible.builtin.raw).
version_added: "0.1.0"
author:
  - wrk-ansible contributors (@wrk-ansible)
options:
  requirements:
    description:
      - What the stage needs, shaped like a stage's C(machine_capability_requirements).
      - Keys C(tools) (list of C({name, min_version})), C(licenses) (list of
        C({feature, seats})), C(disk) (list of C({path, free_gb})) and C(network) (list of
        C({host, port})).
      - When it lists nothing, the host's declarations in O(declared) are checked instead.
    type: dict
    default: {}
  declared:
    description:
      - What the host declares in the inventory.
      - C(tools) is the host's C(wrk_tools) (C({name, path, version_command, version_regex})),
        C(licenses) its C(wrk_licenses) (C({feature, kind, server, path, seats, utility}),
        kind one of C(file), C(flexlm), C(rlm)), C(storage) its C(wrk_storage) (C({path})),
        C(agents) its C(wrk_agents) (agent names; an agent is present when a program of its
        name is on PATH).
      - A license requirement is only checked against a license declared here.
      - The same declarations give the result's C(dimensions) whatever the mode.
    type: dict
    default: {}
  repository:
    description:
      - A git work tree on the host whose state the result's C(dimensions.checkout) reports
        (present, dirty, behind and ahead of its upstream, revision).
      - Left out, C(dimensions) has no C(checkout).
    type: str
  timeout:
    description: Seconds allowed for each TCP connection and each version or license command.
    type: float
    default: 5.0
attributes:
  check_mode:
    description: Runs in check mode and reports the same; it never changes the host anyway.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff to show.
    support: none
notes:
  - Version comparison is numeric per component, so C(20.10) is newer than C(9.1).
"""

EXAMPLES = r"""
- name: Probe the host against a stage's requirements
  wrkansible.wrk.wrk_probe:
    requirements:
      tools:
        - name: git
          min_version: "2.30"
      disk:
        - path: /srv/work
          free_gb: 50
      network:
        - host: github.com
          port: 443
    declared:
      tools: "{{ wrk_tools | default([]) }}"
      licenses: "{{ wrk_licenses | default([]) }}"
      storage: "{{ wrk_storage | default([]) }}"
  register: probe

- name: Probe what the host declares
  wrkansible.wrk.wrk_probe:
    declared:
      licenses:
        - feature: aqwa
          kind: flexlm
          server: 27000@licsrv
"""

RETURN = r"""
schema_version:
  description:
    - Version of this result's shape, described by C(docs/probe-output.schema.json) in the
      wrk-ansible repository (JSON Schema draft 2020-12).
  returned: always
  type: int
  sample: 2
dimensions:
  description:
    - Facts of the host for grading it against a baseline, never for O(ignore:ready); the
      shape of C(wrk_ansible.fleet.model.Dimensions). A dimension that cannot be read is null.
    - C(compute) C({cores, ram_gib}); C(disk) C([{path, free_gb}]) (GiB) of each declared
      storage root that exists; C(solvers) declared tool or license feature to C(absent),
      C(present) or C(licensed); C(agents) declared agent to C(present) or C(absent);
      C(checkout) C({present, dirty, behind, ahead, revision}), only with O(repository).
  returned: always
  type: dict
  sample:
    compute: {"cores": 8, "ram_gib": 31.2}
    disk: [{"path": "/srv/work", "free_gb": 412.5}]
    solvers: {"git": "present", "aqwa": "licensed"}
    agents: {"claude": "present"}
ready:
  description: True when every check passed; a failed or unknown check makes it false.
  returned: always
  type: bool
  sample: false
mode:
  description: C(requirements) when O(requirements) listed something, else C(declared).
  returned: always
  type: str
  sample: requirements
facts:
  description: Basic facts of the host.
  returned: always
  type: dict
  sample: {"os": "linux", "hostname": "ws1", "python": "3.11.2", "probe_version": "2"}
checks:
  description:
    - One entry per check, in request order. C(ok) is true, false, or null when the
      outcome could not be decided (the reason says why).
    - C(required), C(found) and C(reason) are text for people; C(spec) (what was asked) and
      C(data) (what was observed) are typed values for programs.
  contains:
    name:
      description: The tool, license feature (the declared spelling), path or C(HOST:PORT).
      type: str
    kind:
      description: C(tool), C(license), C(disk) or C(network).
      type: str
    required:
      description: What was asked, as text.
      type: str
    found:
      description: What was observed, as text; null when nothing was.
      type: str
    ok:
      description: True passed, false failed, null unknown.
      type: bool
    reason:
      description: Why, as text.
      type: str
    spec:
      description:
        - What was asked, typed, per kind. tool C({name, min_version}); license
          C({feature, seats}) (the feature as requested); disk C({path, free_gb}); network
          C({host, port}).
      type: dict
    data:
      description:
        - What was observed, typed, per kind; every key is present, null when unknown.
        - tool C({version, path}); license C({license_kind, issued_seats, used_seats,
          free_seats, uncounted, expires, server}); disk C({free_bytes}); network
          C({reachable}).
        - Empty, with C(ok) null, for a check the probe's time budget left unrun.
      type: dict
  returned: always
  type: list
  elements: dict
  sample:
    - name: git
      kind: tool
      required: ">= 2.30"
      found: "2.39.2 at /usr/bin/git"
      ok: true
      reason: "version 2.39.2 meets >= 2.30"
      spec: {"name": "git", "min_version": "2.30"}
      data: {"version": "2.39.2", "path": "/usr/bin/git"}
    - name: aqwa
      kind: license
      required: "2 free seats"
      found: "7 free of 10 on 27000@licsrv"
      ok: true
      reason: "7 seats free on 27000@licsrv"
      spec: {"feature": "aqwa", "seats": 2}
      data:
        license_kind: flexlm
        issued_seats: 10
        used_seats: 3
        free_seats: 7
        uncounted: false
        expires: null
        server: "27000@licsrv"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wrkansible.wrk.plugins.module_utils.wrk_probe import (
    ProbeInputError,
    run_probe,
)


def run_module() -> None:
    """Parse arguments, run the probe, report; never changes the host."""
    module = AnsibleModule(
        argument_spec={
            "requirements": {"type": "dict", "default": {}},
            "declared": {"type": "dict", "default": {}},
            "timeout": {"type": "float", "default": 5.0},
            "repository": {"type": "str"},
        },
        supports_check_mode=True,
    )
    try:
        result = run_probe(
            module.params["requirements"],
            module.params["declared"],
            module.params["timeout"],
            repository=module.params["repository"],
        )
    except ProbeInputError as exc:
        module.fail_json(msg="invalid wrk_probe arguments: %s" % exc, changed=False)
    module.exit_json(changed=False, **result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
