"""Remake the README's picture from exactly what the README's main job makes.

    python scripts/readme_picture.py           # writes docs/img/authority_scorecard.png and .json
    python scripts/readme_picture.py --check   # writes nothing; exit 1 if the .json is out of date

The main job is the first bash block of the README's "Start here": its ``cpxl indicators`` and
``cpxl scorecards`` commands are run as written, from the repository root, except that their
``--out`` goes to a temporary folder.  The authority's workbook is converted to PDF by LibreOffice
(headless, private profile) and its page 1 rendered by poppler's pdftoppm.  Beside the picture,
``authority_scorecard.json`` records what a reader can check against it: the workbook, its page
count and the authority's headline numbers at the period end.  tests/test_readme_picture.py runs
the same steps and fails when they no longer give the .json (page count and numbers, not pixels),
and the README's "N pages" agrees with it.  Needs LibreOffice and poppler (pdftoppm, pdfinfo).
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PICTURE = ROOT / "docs" / "img" / "authority_scorecard.png"
SIDECAR = PICTURE.with_suffix(".json")
DPI = 110
# The numbers a reader sees at the top of the authority's page 1, from the main job's table.
HEADLINE = ["cla_count", "cla_rate_10k", "cla_started_12m", "cla_ceased_12m",
            "stability_3plus_pct", "visits_in_time_pct"]


def main_job() -> dict[str, list[str]]:
    """The README's main-job commands (argument lists after ``cpxl``), by subcommand."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Start here")
    block = re.search(r"```bash\n(.*?)```", text[start:], flags=re.S)
    if block is None:
        raise SystemExit("README.md: no bash block under 'Start here'")
    commands = {}
    for part in block.group(1).replace("\\\n", " ").split("&&"):
        words = shlex.split(part)
        if words and Path(words[0]).name == "cpxl" and len(words) > 1:
            commands[words[1]] = words[1:]
    missing = {"indicators", "scorecards"} - set(commands)
    if missing:
        raise SystemExit(f"README.md: the main job has no 'cpxl {' / '.join(sorted(missing))}'")
    return commands


def with_out(args: list[str], out: Path) -> list[str]:
    args = list(args)
    args[args.index("--out") + 1] = str(out)
    return args


def cpxl(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "cpxl", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"cpxl {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=120,
                          check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, flags=re.M).group(1))


def make(work: Path) -> tuple[dict, Path]:
    """Run the main job into ``work``; the sidecar's content and the authority's PDF."""
    sys.path.insert(0, str(ROOT))
    from cpxl.scorecard import pdf
    from cpxl.scorecard.naming import book_file_name

    jobs = main_job()
    table_path = work / "indicators.csv"
    cards = work / "scorecards"
    cpxl(with_out(jobs["indicators"], table_path))
    cpxl(with_out(jobs["scorecards"], cards))
    with open(table_path, encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["level"] == "la"]
    period_end = max(r["period_end"] for r in rows)
    authority = rows[0]["geography"]
    values = {r["indicator"]: r["value"] for r in rows if r["period_end"] == period_end}
    headline = {i: (round(float(values[i]), 1) if values.get(i) else None) for i in HEADLINE}
    book = cards / book_file_name(dt_date(period_end), "la", authority, set())
    if not book.exists():
        raise SystemExit(f"the main job made no {book.name}; it made: "
                         + ", ".join(sorted(p.name for p in cards.iterdir())))
    (made,) = pdf.convert([book], work / "pdf")
    sidecar = {"made_by": "python scripts/readme_picture.py",
               "command": "cpxl " + shlex.join(jobs["scorecards"]),
               "book": book.name, "pages": pdf_pages(made), "picture_page": 1,
               "period_end": period_end, "authority": authority, "headline": headline}
    return sidecar, made


def dt_date(text: str):
    import datetime as dt
    return dt.date.fromisoformat(text)


def readme_pages() -> int | None:
    m = re.search(r"\((\d+) pages; headline numbers", README.read_text(encoding="utf-8"))
    return int(m.group(1)) if m else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare with docs/img/authority_scorecard.json; write nothing")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cpxl-readme-") as tmp:
        sidecar, made = make(Path(tmp))
        if args.check:
            old = json.loads(SIDECAR.read_text(encoding="utf-8")) if SIDECAR.exists() else None
            if old != sidecar:
                print(f"{SIDECAR.relative_to(ROOT)} is out of date:\n  has  {old}\n  made "
                      f"{sidecar}\nrun: python scripts/readme_picture.py", file=sys.stderr)
                return 1
            print("The README picture's record matches what the main job makes.")
            return 0
        from cpxl.scorecard import pdf
        pdf.render_png(made, PICTURE, page=1, dpi=DPI)
        SIDECAR.write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    print(f"{PICTURE.relative_to(ROOT)}: page 1 of {sidecar['pages']} of {sidecar['book']}; "
          f"{SIDECAR.relative_to(ROOT)} written")
    if readme_pages() != sidecar["pages"]:
        print(f"Now say '({sidecar['pages']} pages; headline numbers' in README.md.")
    if shutil.which("git"):
        print("Commit both files.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
