"""The pure core: candidates, policy and verdict. No I/O, no Ansible."""
