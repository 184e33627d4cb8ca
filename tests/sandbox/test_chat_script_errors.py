"""``readalong sandbox --script`` stops at the first line the chat refuses and exits non-zero,
saying which line (issue 22, finding 6: a script with an error exited 0 and went on)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import readalong


def test_a_script_stops_at_its_first_refused_line_and_says_which(tmp_path: Path) -> None:
    script = tmp_path / "typo.chat"
    script.write_text(
        "# the third line names a channel that is not there\n/about\n#genral\nNever said.\n", encoding="utf-8"
    )
    done = readalong("sandbox", "--fresh", "--script", str(script), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"readalong: error: {script}, line 3: #genral: no channel or thread matches 'genral'; ? lists them\n"
    )
    assert "  ! no channel or thread matches 'genral'" in done.stdout
    assert "Never said." not in done.stdout  # nothing after the error ran
    assert "The sandbox's data was in" in done.stdout  # closed as any session is


def test_a_script_without_errors_exits_0(tmp_path: Path) -> None:
    script = tmp_path / "fine.chat"
    script.write_text("/about\n#general\n", encoding="utf-8")
    done = readalong("sandbox", "--fresh", "--script", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
