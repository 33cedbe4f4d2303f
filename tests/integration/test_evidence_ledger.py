"""The evidence ledger with real files, real processes and real ssh-keygen signatures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wrk_ansible.evidence.ledger import HEAD, Ledger, Signer, read_head
from wrk_ansible.evidence.verify import verify

pytestmark = pytest.mark.integration

#: A fixed clone id, so the chains' names are known: ``HOST@CLONE``.
CLONE = "c10e0001"
A, B = f"hosta@{CLONE}", f"hostb@{CLONE}"


def problems(ledger: Ledger, keys: dict[str, str] | None = None) -> list[str]:
    return [str(p) for r in verify(ledger, signing_keys=keys) for p in r.problems]


def filled(tmp_path: Path, n: int = 4) -> Ledger:
    ledger = Ledger(tmp_path / "ev", clone=CLONE)
    for i in range(n):
        ledger.append("WRK-1", "hosta", "gate", {"i": i})
    return ledger


def test_appended_chain_verifies(tmp_path: Path) -> None:
    ledger = filled(tmp_path)
    records = ledger.records("WRK-1")
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert records[1].data["prev"] == records[0].sha256
    assert read_head(ledger.chain_dir("WRK-1", A)) == (4, records[-1].sha256)
    assert problems(ledger) == []


def test_edited_record_is_named(tmp_path: Path) -> None:
    ledger = filled(tmp_path)
    path = ledger.files("WRK-1", A)[1]
    data = json.loads(path.read_bytes())
    data["body"]["i"] = 99
    path.write_text(json.dumps(data, sort_keys=True, indent=2) + "\n")
    found = problems(ledger)
    assert found
    assert found[0].startswith(f"WRK-1/{A}/000002: edited")


def test_removed_newest_record_is_caught(tmp_path: Path) -> None:
    ledger = filled(tmp_path)
    ledger.files("WRK-1", A)[-1].unlink()
    found = problems(ledger)
    assert found == [f"WRK-1/{A}/000004: removed: HEAD names a newer record"]


def test_removed_middle_record_is_caught(tmp_path: Path) -> None:
    ledger = filled(tmp_path)
    ledger.files("WRK-1", A)[1].unlink()
    assert "a record was removed" in problems(ledger)[0]


def test_interrupted_write_before_head_moved_is_not_an_error_and_is_repaired(
    tmp_path: Path,
) -> None:
    ledger = filled(tmp_path, 2)
    folder = ledger.chain_dir("WRK-1", A)
    first = ledger.records("WRK-1")[0]
    (folder / HEAD).write_text(f"1 {first.sha256}\n")  # as if killed before HEAD moved
    (folder / ".wrk-abc.tmp").write_text("half")
    assert problems(ledger) == []
    ledger.append("WRK-1", "hosta", "gate", {"i": 3})
    assert not (folder / ".wrk-abc.tmp").exists()
    assert read_head(folder)[0] == 3
    assert problems(ledger) == []


def test_links_commit_chains_to_each_other(tmp_path: Path) -> None:
    ledger = filled(tmp_path, 2)
    rec = ledger.append("WRK-1", "hostb", "handoff", {"to": "hostb"})
    assert rec.data["links"] == [
        {"writer": A, "seq": 2, "sha256": ledger.records("WRK-1", A)[-1].sha256}
    ]
    # rewriting hosta's whole chain consistently is caught through hostb's link
    for path in ledger.files("WRK-1", A):
        path.unlink()
    (ledger.chain_dir("WRK-1", A) / HEAD).unlink()
    for i in range(2):
        ledger.append("WRK-1", "hosta", "gate", {"i": i + 10})
    assert any("linked it with another hash" in p for p in problems(ledger))


def test_unsafe_names_are_refused(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ev", clone=CLONE)
    with pytest.raises(Exception, match="cannot name an evidence folder"):
        ledger.append("../etc", "h", "gate", {})


def test_signed_chain_verifies_and_forged_record_is_caught(tmp_path: Path) -> None:
    key = tmp_path / "signing"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    public = " ".join(key.with_suffix(".pub").read_text().split()[:2])
    ledger = Ledger(tmp_path / "ev", clone=CLONE)
    signer = Signer(key)
    for i in range(2):
        ledger.append("WRK-1", "hosta", "readiness", {"i": i}, signer=signer)
    assert problems(ledger, {"hosta": public}) == []
    assert verify(ledger, signing_keys={"hosta": public})[0].signed == 2
    ledger.append("WRK-1", "hosta", "gate", {"forged": True})  # chain-valid, but unsigned
    assert problems(ledger, {"hosta": public}) == [
        f"WRK-1/{A}/000003: not signed, but its writer has a signing key in the inventory"
    ]
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    ledger.append("WRK-2", "hosta", "gate", {}, signer=Signer(other))
    assert any("does not verify" in p for p in problems(ledger, {"hosta": public}))


WRITER = """
import sys
from pathlib import Path
from wrk_ansible.evidence.ledger import Ledger
ledger = Ledger(Path(sys.argv[1]))
for i in range(5):
    ledger.append("WRK-1", "hosta", "gate", {"proc": sys.argv[2], "i": i})
"""


def test_concurrent_writers_keep_one_linear_chain(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(n)]) for n in range(8)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    ledger = Ledger(root)
    assert [r.seq for r in ledger.records("WRK-1")] == list(range(1, 41))
    assert problems(ledger) == []


def test_a_lost_chain_or_record_is_caught_through_the_links(tmp_path: Path) -> None:
    ledger = filled(tmp_path, 2)
    ledger.append("WRK-1", "hostb", "handoff", {"to": "hostb"})  # links hosta/000002
    folder = ledger.chain_dir("WRK-1", A)
    newest = ledger.files("WRK-1", A)[-1]
    newest.unlink()  # and rewrite HEAD so hosta's chain alone looks whole
    first = ledger.records("WRK-1", A)[0]
    (folder / HEAD).write_text(f"1 {first.sha256}\n")
    assert problems(ledger) == [f"WRK-1/{A}/000002: removed: WRK-1/{B}/000001 links to it"]
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    assert problems(ledger) == [f"WRK-1/{A}/000002: removed: WRK-1/{B}/000001 links to it"]


def test_a_hostile_link_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ev", clone=CLONE)
    record = ledger.append("WRK-1", "hosta", "gate", {})
    data = json.loads(record.path.read_bytes())
    data["links"] = [{"writer": "../../etc", "seq": 1, "sha256": "x"}, "junk"]
    record.path.write_text(json.dumps(data, sort_keys=True, indent=2) + "\n")
    found = problems(ledger)
    assert any("a link is malformed" in p for p in found)
    assert any("a link is not an object" in p for p in found)
