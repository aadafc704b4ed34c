"""Screenshot one section of a rendered astrobench report in headless Chromium (for docs/).

    python tools/screenshot_report.py runs/detection/report.html --section fields-boxes \
        --out docs/images/detection_section.png

Sections are the report's `<h2 id=...>` anchors: `findings`, `ranking`, `<dataset>-<target>`
(lower case, anything but letters and digits turned into '-'), `embeddings`, `reconstructions`,
`provenance`.
Needs a Chromium binary (Debian: `apt-get install chromium`); it is a documentation tool, not a
dependency of the package. Chromium scrolls to the anchor, so the page above the section is not in
the picture; blank rows left at the top are trimmed.
"""

from __future__ import annotations

import argparse
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


def trim_top(png: Path, margin: int = 16) -> None:
    """Cut the blank rows above the first non-white pixel (keeping a small margin)."""
    image = Image.open(png).convert("RGB")
    pixels = np.asarray(image)  # [H, W, 3]
    inked = np.flatnonzero((pixels < 245).any(axis=(1, 2)))
    if inked.size:
        top = max(int(inked[0]) - margin, 0)
        image.crop((0, top, image.width, image.height)).save(png)


def screenshot(report: Path, section: str, out: Path, width: int, height: int) -> None:
    """Render `report#section` at width × height into `out` (PNG)."""
    html = report.read_text(encoding="utf-8")
    if f'id="{section}"' not in html:
        sys.exit(f"{report} has no section '{section}': look for <h2 id=...> in the file")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        command = [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        command += [f"--window-size={width},{height}", f"--screenshot={out.resolve()}"]
        command.append(f"{report.resolve().as_uri()}#{section}")
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    trim_top(out)


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
