"""A fleet of real SSH test hosts on loopback: one Debian ``sshd`` per host on 127.0.0.x.

Each host has its own host key, address and environment (``SetEnv`` gives it its own PATH and
HOME, so hosts differ in the tools they have and the disk they see, and root's shell start-up
files do not run). Names say the outcome each host must produce (``ws_ready``,
``ws_missing_tool``, ...). Used by the integration tests (a session fixture) and by the
benchmarks (``Fleet.uniform(n)``). Never touches ``/root/.ssh`` and never an address outside
127.0.0.0/8; ``stop()`` leaves no sshd and no mount behind.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SSHD = "/usr/sbin/sshd"
TOOL = "wrkfleet-solver"
TOOL_VERSION = "2.4.1"
OLD_TOOL_VERSION = "1.2.0"
LICENSE_FEATURE = "wrkfleet_solver"
CONNECT_TIMEOUT = 5  # seconds; ssh ConnectTimeout (covers the banner exchange too)

LMSTAT = """lmutil - Copyright (c) 1989-2019 Flexera. All Rights Reserved.
Flexible License Manager status on Thu 11/26/2026 10:00

License server status: {port}@{host}
    License file(s) on {host}: /opt/flexlm/licenses/license.dat:

{host}: license server UP (MASTER) v11.16.4

Vendor daemon status (on {host}):

    orcina: UP v11.16.4

Feature usage info:

Users of {feature}:  (Total of {issued} licenses issued;  Total of {used} {noun} in use)

"""


@dataclass
class HostSpec:
    """What a test host is: its name says the outcome it must produce."""

    name: str
    tool_version: str | None = TOOL_VERSION
    os: str = "linux"
    low_disk: bool = False
    license_seats: tuple[int, int] | None = None  # (issued, in use) printed by its lmutil
    #: "sshd", "none" (refuses), "hang" (accepts, never speaks), "banner" (accepts, sends an
    #: SSH banner, then never speaks again: the trap a TCP-only probe reports as up)
    listen: str = "sshd"
    tool_delay: float = 0.0  # seconds the tool sleeps before answering (for mid-run faults)


STANDARD_HOSTS: tuple[HostSpec, ...] = (
    HostSpec("ws_ready"),
    HostSpec("ws_missing_tool", tool_version=None),
    HostSpec("ws_old_version", tool_version=OLD_TOOL_VERSION),
    HostSpec("ws_low_disk", low_disk=True),
    HostSpec("ws_license_ok", license_seats=(4, 1)),
    HostSpec("ws_license_exhausted", license_seats=(2, 2)),
    HostSpec("ws_windows", os="windows"),
    HostSpec("ws_unreachable", listen="none"),
    HostSpec("ws_hangs", listen="hang"),
)


@dataclass
class FleetHost:
    """A running (or deliberately dead) host of the fleet."""

    spec: HostSpec
    address: str
    port: int
    home: Path
    bin_dir: Path
    process: subprocess.Popen[bytes] | None = None
    mount: Path | None = None
    sockets: list[socket.socket] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_listening(address: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _banner_then_silence(host: FleetHost) -> None:
    """Accept on the host's listener, send an SSH banner, then say nothing more (until the
    fleet stops, which closes the listener and every connection kept here)."""
    listener = host.sockets[0]
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        host.sockets.append(conn)
        try:
            conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 wrkfleet-stalls-after-banner\r\n")
        except OSError:
            continue


def _write_exe(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


class Fleet:
    """Start, describe and stop a set of SSH test hosts."""

    def __init__(self, specs: tuple[HostSpec, ...] | list[HostSpec], *, first_octet: int = 11):
        if not os.path.exists(SSHD):
            raise RuntimeError(
                f"{SSHD} is missing: install Debian's openssh-server (make test does)"
            )
        self.specs = list(specs)
        self.first_octet = first_octet
        self.root = Path(tempfile.mkdtemp(prefix="wrk-fleet-"))
        self.client_key = self.root / "client_ed25519"
        self.known_hosts = self.root / "known_hosts"
        self.hosts: dict[str, FleetHost] = {}
        self.license_server: tuple[str, int] | None = None
        self._license_socket: socket.socket | None = None

    @classmethod
    def uniform(cls, count: int, *, first_octet: int = 101) -> Fleet:
        """``count`` identical ready hosts, for benchmarks."""
        return cls([HostSpec(f"ws_{i:02d}") for i in range(count)], first_octet=first_octet)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Fleet:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        # sshd's privilege separation directory (made by the system service when there is one)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self._keygen(self.client_key)
        (self.root / "authorized_keys").write_text(
            self.client_key.with_suffix(".pub").read_text(encoding="utf-8"), encoding="utf-8"
        )
        if any(spec.license_seats for spec in self.specs):
            self._start_license_server()
        known: list[str] = []
        for index, spec in enumerate(self.specs):
            host = self._prepare(spec, f"127.0.0.{self.first_octet + index}")
            self.hosts[spec.name] = host
            if spec.listen == "sshd":
                known.append(self._start_sshd(host))
            elif spec.listen == "hang":
                listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((host.address, host.port))
                listener.listen(64)  # the kernel completes handshakes; nobody ever speaks
                host.sockets.append(listener)
            elif spec.listen == "banner":
                listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((host.address, host.port))
                listener.listen(64)
                host.sockets.append(listener)
                threading.Thread(target=_banner_then_silence, args=(host,), daemon=True).start()
        self.known_hosts.write_text("".join(known), encoding="utf-8")
        for host in self.hosts.values():
            if host.process is not None and not _wait_listening(host.address, host.port, 15):
                err = host.process.stderr.read().decode() if host.process.stderr else ""
                raise RuntimeError(f"sshd for {host.name} did not start: {err}")

    def stop(self) -> None:
        """Stop every sshd and listener, unmount, remove the fleet's files."""
        for host in self.hosts.values():
            self._stop_sshd(host)
            for sock in host.sockets:
                sock.close()
            if host.mount is not None:
                subprocess.run(["umount", "-l", str(host.mount)], check=False)
                host.mount = None
        if self._license_socket is not None:
            self._license_socket.close()
        # /run/sshd stays: another fleet (a parallel test run) may be using it right now, and
        # an empty directory under /run is harmless (Debian's sshd creates the same one).
        shutil.rmtree(self.root, ignore_errors=True)

    def kill_sshd(self, name: str) -> None:
        """Kill one host's sshd (and its sessions) mid-run, for fault tests."""
        self._stop_sshd(self.hosts[name], signal_kill=True)

    # -- description -------------------------------------------------------------------------
    def ssh_common_args(self) -> str:
        return (
            f"-o UserKnownHostsFile={self.known_hosts} -o StrictHostKeyChecking=yes "
            f"-o ConnectTimeout={CONNECT_TIMEOUT} -o IdentitiesOnly=yes"
        )

    def host_vars(self, name: str) -> dict[str, Any]:
        host = self.hosts[name]
        spec = host.spec
        out: dict[str, Any] = {
            "ansible_host": host.address,
            "ansible_port": host.port,
            "ansible_user": "root",
            "ansible_connection": "ssh",
            "ansible_ssh_private_key_file": str(self.client_key),
            "ansible_python_interpreter": "/usr/bin/python3",
            "wrk_access": "ssh",
            "wrk_os": spec.os,
            "wrk_agents": ["claude", "codex"],
            "wrk_tools": [TOOL] if spec.tool_version else [],
            "wrk_storage": [{"path": str(host.home), "purpose": "work"}],
        }
        if spec.license_seats and self.license_server:
            address, port = self.license_server
            issued, _ = spec.license_seats
            out["wrk_licenses"] = [
                {
                    "feature": LICENSE_FEATURE,
                    "kind": "flexlm",
                    "server": f"{port}@{address}",
                    "seats": issued,
                }
            ]
        return out

    def inventory(self, names: list[str] | None = None) -> dict[str, Any]:
        """A YAML inventory (as data) for the named hosts, all of them by default."""
        chosen = names or list(self.hosts)
        windows = [n for n in chosen if self.hosts[n].spec.os == "windows"]
        linux = [n for n in chosen if n not in windows]
        return {
            "all": {
                "vars": {"ansible_ssh_common_args": self.ssh_common_args()},
                "children": {
                    "linux": {"hosts": {n: self.host_vars(n) for n in linux}},
                    "windows": {"hosts": {n: self.host_vars(n) for n in windows}},
                    "ai_capable": {"hosts": {n: None for n in chosen}},
                },
            }
        }

    def write_inventory(self, folder: Path, names: list[str] | None = None) -> Path:
        """Write ``folder/hosts.yml`` and return the folder (an inventory directory)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "hosts.yml").write_text(
            yaml.safe_dump(self.inventory(names), sort_keys=False), encoding="utf-8"
        )
        return folder

    # -- internals ---------------------------------------------------------------------------
    @staticmethod
    def _keygen(path: Path) -> None:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "wrk-fleet", "-f", str(path)],
            check=True,
            timeout=30,
        )

    def _prepare(self, spec: HostSpec, address: str) -> FleetHost:
        base = self.root / spec.name
        home, bin_dir = base / "home", base / "bin"
        bin_dir.mkdir(parents=True)
        home.mkdir()
        port = _free_port(address)
        host = FleetHost(spec=spec, address=address, port=port, home=home, bin_dir=bin_dir)
        if spec.low_disk:
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", str(home)],
                check=True,
                timeout=30,
            )
            host.mount = home
        if spec.tool_version:
            pause = f"sleep {spec.tool_delay}\n" if spec.tool_delay else ""
            _write_exe(
                bin_dir / TOOL, f"#!/bin/sh\n{pause}echo '{TOOL} version {spec.tool_version}'\n"
            )
        if spec.license_seats and self.license_server:
            issued, used = spec.license_seats
            lic_host, lic_port = self.license_server
            text = LMSTAT.format(
                host=lic_host,
                port=lic_port,
                feature=LICENSE_FEATURE,
                issued=issued,
                used=used,
                noun="license" if used == 1 else "licenses",
            )
            (base / "lmstat.txt").write_text(text, encoding="utf-8")
            _write_exe(bin_dir / "lmutil", f"#!/bin/sh\ncat '{base / 'lmstat.txt'}'\n")
        return host

    def _start_license_server(self) -> None:
        address = "127.0.0.2"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, 0))
        sock.listen(64)  # reachable is all a FlexLM port check needs
        self._license_socket = sock
        self.license_server = (address, sock.getsockname()[1])

    def _start_sshd(self, host: FleetHost) -> str:
        base = self.root / host.name
        key = base / "ssh_host_ed25519_key"
        self._keygen(key)
        path = f"{host.bin_dir}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        config = base / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"ListenAddress {host.address}:{host.port}",
                    f"HostKey {key}",
                    f"PidFile {base / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.root / 'authorized_keys'}",
                    "StrictModes no",
                    "UsePAM no",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PermitRootLogin prohibit-password",
                    "MaxStartups 200",
                    "MaxSessions 50",
                    "LogLevel ERROR",
                    f"SetEnv PATH={path} HOME={host.home} WRK_FLEET_HOST={host.name}",
                    "Subsystem sftp /usr/lib/openssh/sftp-server",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        host.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        pub = key.with_suffix(".pub").read_text(encoding="utf-8").split()
        return f"[{host.address}]:{host.port} {pub[0]} {pub[1]}\n"

    @staticmethod
    def _stop_sshd(host: FleetHost, *, signal_kill: bool = False) -> None:
        proc = host.process
        if proc is None:
            return
        # Sessions run in sshd's children; end them too so no process outlives the fleet.
        subprocess.run(["pkill", "-KILL", "-P", str(proc.pid)], check=False)
        if signal_kill:
            proc.kill()
        else:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()
        host.process = None


@contextmanager
def running_fleet(specs: tuple[HostSpec, ...] = STANDARD_HOSTS) -> Iterator[Fleet]:
    fleet = Fleet(specs).start()
    try:
        yield fleet
    finally:
        fleet.stop()
