"""``python -m voting verify RECORD.json``, run as a citizen would run it."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import voting
from tests.voting.test_record import realistic_record
from voting.record import canonical_json

REPO = Path(voting.__file__).resolve().parents[1]


def run_verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voting", "verify", str(path)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=60,
                          check=False)


def test_a_published_record_verifies_with_exit_code_0_and_lists_its_checks(
        tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(canonical_json(realistic_record()))
    done = run_verify(path)
    assert done.returncode == 0, done.stderr
    assert "checked: seed matches its published commitment sha256:" in done.stdout
    assert "checked: 8 application results recomputed from 21 score sheets" in done.stdout
    assert "OK: the record verifies." in done.stdout


def test_an_edited_record_exits_1_naming_the_edited_field(tmp_path: Path) -> None:
    record = copy.deepcopy(realistic_record())
    record["decision"]["funded"][0]["amount"] += 100
    path = tmp_path / "record.json"
    path.write_bytes(canonical_json(record))
    done = run_verify(path)
    assert done.returncode == 1
    assert "MISMATCH at decision.funded[0].amount" in done.stderr


def test_a_file_that_is_not_json_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text("<html>Not found</html>", encoding="utf-8")
    done = run_verify(path)
    assert done.returncode == 2
    assert "is not valid JSON" in done.stderr
