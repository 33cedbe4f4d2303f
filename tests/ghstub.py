"""A loopback HTTPS stand-in for the GitHub API, enough for the real ``gh`` (2.x) to run
``gh issue view`` and ``gh issue edit --add-label/--remove-label`` against it.

gh with ``GH_HOST=127.0.0.1:PORT`` treats the host as GitHub Enterprise: it posts GraphQL to
``https://HOST/api/graphql`` with ``GH_ENTERPRISE_TOKEN``. Go reads ``SSL_CERT_FILE``, so a
self-signed certificate for 127.0.0.1 made here with ``openssl`` is trusted. The queries gh
2.23 sends for these two commands (read from its own requests):

- ``IssueByNumber``: the issue, with its labels (both view and edit);
- ``RepositoryLabelList``: the repository's labels, names to ids (edit);
- ``LabelAdd`` / ``LabelRemove``: ``addLabelsToLabelable`` / ``removeLabelsFromLabelable``.

Anything else is answered with a GraphQL error naming it, so a gh that asks something new
fails loudly instead of passing by accident. Nothing but 127.0.0.1 is listened on.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Repo:
    labels: dict[str, str] = field(default_factory=dict)  # name -> id
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Hub:
    """GitHub's state as the stand-in keeps it, and every GraphQL operation gh asked for."""

    repos: dict[tuple[str, str], Repo] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_export(cls, path: Path) -> Hub:
        """Every issue of a ``gh issue list --json ...url...`` export; each repository holds
        every label the export uses (as the team's repositories do)."""
        hub = cls()
        issues = json.loads(path.read_text(encoding="utf-8"))
        names = sorted({label["name"] for issue in issues for label in issue["labels"]})
        for issue in issues:
            owner, repo, _, number = issue["url"].removeprefix("https://github.com/").split("/")
            found = hub.repos.setdefault((owner.lower(), repo.lower()), Repo())
            found.labels = {name: f"LA_{i}" for i, name in enumerate(names)}
            found.issues[int(number)] = {
                **issue,
                "id": f"I_{owner}_{repo}_{number}",
                "labels": [label["name"] for label in issue["labels"]],
            }
        return hub

    def labels_of(self, owner: str, repo: str, number: int) -> list[str]:
        with self.lock:
            return list(self.repos[(owner.lower(), repo.lower())].issues[number]["labels"])

    def operations(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [variables for op, variables in self.calls if op == name]

    # -- answering -----------------------------------------------------------------------------
    def answer(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            for name in ("IssueByNumber", "RepositoryLabelList", "LabelAdd", "LabelRemove"):
                if name in query:
                    self.calls.append((name, variables))
                    return getattr(self, f"_{name}")(query, variables)
            self.calls.append(("unknown", variables))
            return {"errors": [{"message": f"the stand-in does not answer: {query[:80]}"}]}

    def _repo(self, variables: dict[str, Any]) -> Repo | None:
        name = variables.get("repo") or variables.get("name") or ""
        return self.repos.get((str(variables["owner"]).lower(), str(name).lower()))

    def _label(self, repo: Repo, name: str) -> dict[str, str]:
        return {"id": repo.labels.get(name, "LA_x"), "name": name, "description": "",
                "color": "ededed"}  # fmt: skip

    def _IssueByNumber(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        repo = self._repo(variables)
        if repo is None:
            message = f"Could not resolve to a Repository with the name '{variables['repo']}'."
            return {"data": {"repository": None}, "errors": [{"type": "NOT_FOUND",
                    "message": message, "path": ["repository"]}]}  # fmt: skip
        issue = repo.issues.get(int(variables["number"]))
        if issue is None:
            message = (
                "Could not resolve to an issue or pull request with the number of "
                f"{variables['number']}."
            )
            return {"data": {"repository": {"hasIssuesEnabled": True, "issue": None}},
                    "errors": [{"type": "NOT_FOUND", "message": message,
                                "path": ["repository", "issue"]}]}  # fmt: skip
        labels = [self._label(repo, name) for name in issue["labels"]]
        shown = {key: value for key, value in issue.items() if key != "labels"}
        shown.update(__typename="Issue", labels={"nodes": labels, "totalCount": len(labels)})
        return {"data": {"repository": {"hasIssuesEnabled": True, "issue": shown}}}

    def _RepositoryLabelList(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        repo = self._repo(variables)
        nodes = [] if repo is None else [{"id": i, "name": n} for n, i in repo.labels.items()]
        page = {"hasNextPage": False, "endCursor": None}
        return {"data": {"repository": {"labels": {"nodes": nodes, "pageInfo": page}}}}

    def _issue_by_id(self, node: str) -> tuple[Repo, dict[str, Any]]:
        for repo in self.repos.values():
            for issue in repo.issues.values():
                if issue["id"] == node:
                    return repo, issue
        raise KeyError(node)

    def _LabelAdd(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self._issue_by_id(variables["input"]["labelableId"])
        names = {i: n for n, i in repo.labels.items()}
        for label_id in variables["input"]["labelIds"]:
            if names[label_id] not in issue["labels"]:
                issue["labels"].append(names[label_id])
        return {"data": {"addLabelsToLabelable": {"__typename": "AddLabelsToLabelablePayload"}}}

    def _LabelRemove(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        repo, issue = self._issue_by_id(variables["input"]["labelableId"])
        names = {i: n for n, i in repo.labels.items()}
        gone = {names[label_id] for label_id in variables["input"]["labelIds"]}
        issue["labels"] = [name for name in issue["labels"] if name not in gone]
        payload = {"__typename": "RemoveLabelsFromLabelablePayload"}
        return {"data": {"removeLabelsFromLabelable": payload}}


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # quiet

        def _send(self, code: int, data: dict[str, Any]) -> None:
            out = json.dumps(data).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_POST(self) -> None:
            if self.path != "/api/graphql":
                self._send(404, {"message": "Not Found"})
                return
            size = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(size) or b"{}")
            self._send(200, hub.answer(request.get("query", ""), request.get("variables") or {}))

        def do_GET(self) -> None:
            self._send(404, {"message": "Not Found"})

    return Handler


def certificate(folder: Path) -> tuple[Path, Path] | None:
    """A self-signed certificate and key for 127.0.0.1 (None: no openssl here)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@contextmanager
def serve(hub: Hub, cert: Path, key: Path) -> Iterator[str]:
    """Serve ``hub`` on 127.0.0.1 over HTTPS; yields ``127.0.0.1:PORT`` (gh's GH_HOST)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
