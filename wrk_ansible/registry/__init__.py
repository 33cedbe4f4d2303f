"""The workstation registry: an Ansible inventory, read, edited and imported safely."""
