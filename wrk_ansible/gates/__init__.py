"""Named gate checks: one implementation each, registered in :mod:`wrk_ansible.gates.registry`,
plus third-party gates from the ``wrk_ansible.gates`` entry point group.

Kept empty so importing the registry (for ``known_gates()``) loads no gate module.
"""
