"""Benchmark: the report PDF rendered by a warm worker vs. a cold `weasyprint` command.

    python manage.py bench_pdf [--runs 7]      (also: make bench)

Both paths render the same two-page report HTML with the same stylesheet, side by
side in one run. The warm path is what a Celery worker does after its first job:
WeasyPrint, fonts and the stylesheet already loaded in the process. The cold path
starts the `weasyprint` command for every document. Prints the medians and the ratio.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from sparring.reports import pdf

PARAGRAPH = (
    "Työyhteisö kävi läpi nykytilan, tunnisti kuormitusta lisäävät tekijät ja sopi "
    "yhteisistä pelisäännöistä. Esihenkilöt ja henkilöstön edustajat valmistelivat "
    "jatkotoimet yhdessä, ja ryhmä sitoutui seuraamaan niiden toteutumista. "
) * 4


def two_page_report() -> str:
    sections = "".join(
        f"<h2>Osio {n}</h2><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p>" for n in range(1, 4)
    )
    return (
        '<!DOCTYPE html><html lang="fi"><head><meta charset="utf-8">'
        "<title>Sparrausraportti SP-2026-0001</title>"
        '<link rel="stylesheet" href="report.css"></head><body>'
        f"<h1>Sparrausraportti SP-2026-0001</h1>{sections}</body></html>"
    )


class Command(BaseCommand):
    help = "Compare a warm in-process PDF rendering with a cold weasyprint command."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=7)

    def handle(self, *, runs: int, **options):
        from pypdf import PdfReader

        html = two_page_report()
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "report.html"
            source.write_text(html)
            (Path(tmp) / "report.css").write_text((pdf.STATIC_PDF_DIR / "report.css").read_text())
            warm_pdf = pdf.render_pdf(html)  # the worker's first job warms it up
            pages = len(PdfReader(_bytes_io(warm_pdf)).pages)

            warm = []
            for _ in range(runs):
                started = time.perf_counter()
                pdf.render_pdf(html)
                warm.append(time.perf_counter() - started)

            command = [
                str(Path(sys.executable).with_name("weasyprint")),
                str(source),
                str(Path(tmp) / "out.pdf"),
            ]
            cold = []
            for _ in range(runs):
                started = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True)  # noqa: S603 (our own files)
                cold.append(time.perf_counter() - started)

        warm_median, cold_median = statistics.median(warm), statistics.median(cold)
        ratio = cold_median / warm_median
        self.stdout.write(f"document: {pages} pages, {runs} runs each")
        self.stdout.write(f"warm worker (in-process): median {warm_median * 1000:.0f} ms")
        self.stdout.write(f"cold weasyprint command:  median {cold_median * 1000:.0f} ms")
        self.stdout.write(f"ratio cold / warm: {ratio:.1f}x (target at least 3x)")
        if ratio < 3:
            raise SystemExit(1)


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)
