"""Screenshot one section of a rendered astrobench report in headless Chromium (for docs/).

    python tools/screenshot_report.py runs/detection/report.html --section fields-boxes \
        --out docs/images/detection_section.png

Sections are the report's `<h2 id=...>` anchors: `findings`, `ranking`, `<dataset>-<target>`
(lower case, anything but letters and digits turned into '-'), `embeddings`, `reconstructions`,
`provenance`.
Needs a Chromium binary (Debian: `apt-get install chromium`); it is a documentation tool, not a
dependency of the package. The section (its heading up to the next `<h2>`) is cut into a page of
its own with the report's head and styles, so a large report with many embedded figures renders
as reliably as a small one (scrolling to an anchor of a 2 MB page gave blank pictures); blank
rows above and below are trimmed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def find_chromium() -> str:
    """The first Chromium-like browser on PATH; exits with one line when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no Chromium found: install it (Debian: apt-get install chromium) and run again")


def trim_blank_rows(png: Path, margin: int = 16) -> None:
    """Cut the blank rows above and below the drawn content (keeping a small margin)."""
    image = Image.open(png).convert("RGB")
    pixels = np.asarray(image)  # [H, W, 3]
    inked = np.flatnonzero((pixels < 245).any(axis=(1, 2)))
    if inked.size:
        top = max(int(inked[0]) - margin, 0)
        bottom = min(int(inked[-1]) + margin, image.height)
        image.crop((0, top, image.width, bottom)).save(png)


def section_page(html: str, section: str) -> str:
    """The report's head and the one section `<h2 id=section>` ... (up to the next `<h2`)."""
    start = html.find(f'<h2 id="{section}"')
    if start < 0:
        found = ", ".join(re.findall(r'<h2 id="([^"]+)"', html))
        sys.exit(f"the report has no section '{section}'; its sections: {found}")
    end = html.find("<h2", start + 1)
    body_start = html.index("<body>") + len("<body>")
    return html[:body_start] + html[start : end if end > 0 else None] + "</body></html>"


def screenshot(report: Path, section: str, out: Path, width: int, height: int) -> None:
    """Render one section of `report` at width × height into `out` (PNG)."""
    page = section_page(report.read_text(encoding="utf-8"), section)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        single = Path(folder) / "section.html"
        single.write_text(page, encoding="utf-8")
        command = [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={folder}/profile"]
        command += [f"--window-size={width},{height}", f"--screenshot={out.resolve()}"]
        command.append(single.as_uri())
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    trim_blank_rows(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("report", type=Path)
    parser.add_argument("--section", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1800)
    args = parser.parse_args()
    screenshot(args.report, args.section, args.out, args.width, args.height)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
