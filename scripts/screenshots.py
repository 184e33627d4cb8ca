"""The README's two pictures, taken again: the sandbox's chat running the README's own tour, drawn
as a terminal shows it, and the HTML export of what that chat left in the archive, each
photographed by the Chromium the tests drive (Debian's ``chromium``; Playwright, no download).

Run from the repository, after ``pip install -e '.[dev]'``::

    .venv/bin/python scripts/screenshots.py            # writes docs/images/chat.png and export.png

Everything happens in a throwaway folder with the real bot in the sandbox; nothing leaves the
machine. The tour is read from the README's ``chat`` block, so the picture shows what the README
tells a newcomer to type.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from bot.cli import main as readalong

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "the-lessons-of-zhanaozen"
_TOUR = re.compile(r"^```chat\n(.*?)^```", re.DOTALL | re.MULTILINE)
_HEADER = re.compile(
    r"^(\(\d+\)) (\[[^\]]*\]) (.+?)( \[bot\]| \[via webhook\])?( \(only you can see this\))?( ↪.*)?$"
)
_PROMPT = re.compile(r"^(#[^@]*@\w+> )(.*)$")


def tour() -> str:
    """The README's tour: its first ``chat`` block."""
    found = _TOUR.search((ROOT / "README.md").read_text(encoding="utf-8"))
    if found is None:
        raise SystemExit("README.md has no ```chat block")
    return found[1]


def run(*arguments: str) -> str:
    """``readalong ARGUMENTS`` in this process, its standard output; a failure stops the script."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = readalong(list(arguments))
    if status != 0:
        raise SystemExit(f"readalong {' '.join(arguments)}: exit {status}: {err.getvalue().strip()}")
    return out.getvalue()


def shortened(transcript: str) -> list[str]:
    """The transcript from the tour's first line on, the posted sections after §1 and the original
    comments folded into one line (they fill screens and are not what the picture is about)."""
    lines = transcript.splitlines()
    start = next(i for i, line in enumerate(lines) if _PROMPT.match(line))
    lines = [line for line in lines[start:] if not line.startswith("The sandbox's data")]
    kept: list[str] = []
    folding = False
    for line in lines:
        header = _HEADER.match(line)
        if header and header[1] == "(3)":
            folding = True
            kept.append("⋮ (3)-(11): sections §2 to §6, each with its thread, and the original comments")
        elif _PROMPT.match(line):
            folding = False
        if not folding:
            kept.append(line)
    return kept


def terminal_page(lines: list[str]) -> str:
    """The lines as a terminal with the chat's colours draws them (dark, monospace)."""
    drawn = []
    for line in lines:
        text = html.escape(line)
        if prompt := _PROMPT.match(line):
            text = f'<b class="prompt">{html.escape(prompt[1])}</b>{html.escape(prompt[2])}'
        elif header := _HEADER.match(line):
            colour = "bot" if header[4] == " [bot]" or "Readalong" in header[3] else "member"
            text = (
                f'<span class="dim">{html.escape(header[1])}</span> {html.escape(header[2])} '
                f'<b class="{colour}">{html.escape(header[3])}</b>{html.escape(header[4] or "")}'
                f'<span class="dim">{html.escape(header[5] or "")}</span>{html.escape(header[6] or "")}'
            )
        elif line.startswith(("  →", "  ✦", "  (", "⋮")):
            text = f'<span class="dim">{text}</span>'
        elif line.startswith("  !"):
            text = f'<span class="error">{text}</span>'
        drawn.append(text)
    body = "\n".join(drawn)
    return f"""<!doctype html><meta charset="utf-8"><style>
body {{ margin: 0; background: #1e1e1e; }}
.window {{ margin: 0; padding: 14px 18px; background: #1e1e1e; color: #d4d4d4; width: 104ch;
  font: 14px/1.35 "DejaVu Sans Mono", "Liberation Mono", monospace; white-space: pre-wrap; }}
.prompt {{ color: #e0e0e0; }} .dim {{ color: #8a8a8a; }} .bot {{ color: #4fc1e9; }}
.member {{ color: #8ae234; }} .error {{ color: #ef2929; }}
</style><pre class="window">{body}</pre>"""


def browser_path() -> str:
    """The Chromium the tests use: ``READALONG_CHROMIUM``, else the system's."""
    for candidate in (os.environ.get("READALONG_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    raise SystemExit("no Chromium here: apt-get install -y chromium")


def photograph(chat_html: Path, export_html: Path, images: Path) -> None:
    """Both pages in Chromium: the chat whole, the export's first screen."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 960, "height": 600})
            page.goto(chat_html.as_uri())
            page.locator("pre").screenshot(path=str(images / "chat.png"))
            page = browser.new_page(viewport={"width": 960, "height": 1000})
            page.goto(export_html.as_uri())
            page.screenshot(path=str(images / "export.png"))
        finally:
            browser.close()


def main() -> int:
    """Runs the tour in a throwaway sandbox, exports what it left, and photographs both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="where the PNGs go")
    args = parser.parse_args()
    for key in [k for k in os.environ if k.startswith(("READALONG_", "DISCORD_", "OPENAI_"))]:
        del os.environ[key]  # the sandbox on its defaults, as the README's first command runs it
    with tempfile.TemporaryDirectory(prefix="readalong-screenshots-") as folder:
        work = Path(folder)
        script = work / "tour.chat"
        script.write_text(tour(), encoding="utf-8")
        transcript = run("sandbox", "--data", str(work / "data"), "--script", str(script))
        chat_html = work / "chat.html"
        chat_html.write_text(terminal_page(shortened(transcript)), encoding="utf-8")
        export_html = work / "export.html"
        db = str(work / "data" / "readalong.db")
        run("--db", db, "export", ARTICLE, "--format", "html", "-o", str(export_html))
        args.out.mkdir(parents=True, exist_ok=True)
        photograph(chat_html, export_html, args.out)
    print(f"wrote {args.out / 'chat.png'} and {args.out / 'export.png'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
