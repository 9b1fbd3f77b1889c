"""``--pdf``: each workbook also as PDF, through LibreOffice headless; and PNG pages for checking.

LibreOffice runs with a private, throw-away profile (``-env:UserInstallation``) so it neither
clashes with a LibreOffice the user has open nor with the other conversions of the batch, under a
time limit.  PDFs are converted into a temporary folder beside the outputs and moved into place
one by one, so a failure leaves no half-written PDF.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from ..errors import CpxlError
from ..output import atomic_path

_CANDIDATES = ["soffice", "libreoffice",
               r"C:\Program Files\LibreOffice\program\soffice.exe",
               r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
               "/Applications/LibreOffice.app/Contents/MacOS/soffice"]
SECONDS_PER_FILE = 60
NOT_FOUND = ("--pdf needs LibreOffice, and 'soffice' was not found (not on PATH, nor where "
             "LibreOffice installs itself). Install LibreOffice (https://www.libreoffice.org), or set "
             "CPXL_SOFFICE to the full path of soffice, or run without --pdf: the workbooks "
             "themselves do not need it.")


def find_soffice() -> str | None:
    """The LibreOffice program: $CPXL_SOFFICE, else on PATH, else the usual install places."""
    env = os.environ.get("CPXL_SOFFICE")
    if env:
        return env if Path(env).is_file() or shutil.which(env) else None
    for cand in _CANDIDATES:
        found = shutil.which(cand) or (cand if os.path.isabs(cand) and Path(cand).is_file() else None)
        if found:
            return found
    return None


def require_soffice() -> str:
    exe = find_soffice()
    if exe is None:
        raise CpxlError(NOT_FOUND)
    return exe


def convert(files: list[Path], out_dir: Path, to: str = "pdf", soffice: str | None = None,
            timeout: float | None = None) -> list[Path]:
    """Convert workbooks with LibreOffice headless; returns the converted files, in ``out_dir``."""
    files = [Path(f) for f in files]
    if not files:
        return []
    exe = soffice or require_soffice()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.gettempdir()) / f"lo_{uuid.uuid4().hex}"
    work = Path(tempfile.mkdtemp(prefix=".cpxl-convert-", dir=out_dir))
    timeout = timeout or SECONDS_PER_FILE * (1 + len(files))
    try:
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", to, "--outdir", str(work), *map(str, files)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CpxlError(f"LibreOffice did not finish converting {len(files)} file(s) within "
                            f"{timeout:.0f} s; the workbooks are written, the PDFs are not") from None
        except OSError as e:
            raise CpxlError(f"LibreOffice could not be started ({exe}: {e})") from None
        ext = to.split(":")[0]
        out = []
        for f in files:
            made = work / f"{f.stem}.{ext}"
            if not made.exists():
                detail = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["no message"]
                raise CpxlError(f"LibreOffice did not convert {f.name} to {ext.upper()} "
                                f"({detail[0]})")
            final = out_dir / made.name
            with atomic_path(final) as tmp:
                os.replace(made, tmp)
            out.append(final)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)


def render_png(pdf: Path, png: Path, page: int = 1, dpi: int = 110, timeout: float = 60) -> Path:
    """One page of a PDF as PNG with poppler's pdftoppm (for checks and the README's picture)."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise CpxlError("pdftoppm (poppler) is needed to render PNG pages")
    png = Path(png)
    with atomic_path(png) as tmp:
        stem = tmp.parent / f"{tmp.name}.render"
        subprocess.run([exe, "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(stem)], check=True, timeout=timeout,
                       capture_output=True)
        os.replace(f"{stem}.png", tmp)
    return png
