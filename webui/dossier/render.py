"""A dossier's HTML laid out as a PDF in a process of its own: the PDF engine (WeasyPrint, its fonts and
layout caches) weighs tens of MB that a web worker would otherwise keep for good after one dossier.

    python -m webui.dossier.render < dossier.html > dossier.pdf

Fonts and the stylesheet are local; nothing is fetched (the dossier's HTML refers to no other resource).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STYLESHEET = Path(__file__).parent / "dossier.css"


def render_pdf(html: str) -> bytes:
    done = subprocess.run([sys.executable, "-m", __name__], input=html.encode("utf-8"), capture_output=True,
                          timeout=300, check=False)
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        raise RuntimeError(f"the dossier could not be laid out: {done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout


def _lay_out(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html, base_url=str(STYLESHEET.parent)).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])


if __name__ == "__main__":
    sys.stdout.buffer.write(_lay_out(sys.stdin.buffer.read().decode("utf-8")))
