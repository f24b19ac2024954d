"""The zh PDFs carry their own CJK font: they render on a machine with none installed."""

import re
import subprocess
from importlib import resources
from io import BytesIO
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

import fairlend
from fairlend.fonts import CJK_FONT, cjk_font

WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
SOURCE = Path(fairlend.__file__).parent


def _pdf_of(text: str, size: int = 120) -> bytes:
    out = BytesIO()
    page = canvas.Canvas(out, pagesize=(200, 200))
    page.setFont(cjk_font(), size)
    page.drawString(20, 40, text)
    page.save()
    return out.getvalue()


def _png_of(pdf: bytes, tmp_path: Path, name: str) -> bytes:
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "36", "-singlefile", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True
    )
    return (tmp_path / f"{name}.png").read_bytes()


def test_the_font_is_embedded_in_the_pdf_not_left_to_the_reader() -> None:
    pdf = _pdf_of("逾期")
    assert b"/FontFile2" in pdf and CJK_FONT.encode() in pdf


def test_two_different_hanzi_render_as_two_different_glyphs_not_as_boxes(tmp_path: Path) -> None:
    # A missing glyph draws the same empty box for every character.
    assert _png_of(_pdf_of("还"), tmp_path, "a") != _png_of(_pdf_of("款"), tmp_path, "b")


def test_the_text_comes_back_out_of_the_pdf(tmp_path: Path) -> None:
    (tmp_path / "t.pdf").write_bytes(_pdf_of("已结清", size=40))
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "已结清" in text


def test_every_chinese_character_the_package_can_print_is_in_the_font() -> None:
    cjk_font()
    covered = pdfmetrics.getFont(CJK_FONT).face.charToGlyph
    used: set[str] = set()
    for pattern in ("**/*.py", "**/*.json", "**/*.html", "**/*.toml", "**/*.po"):
        for path in SOURCE.glob(pattern):
            used |= set(WIDE.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 200  # the catalogs were read
    missing = sorted(ch for ch in used if ord(ch) not in covered)
    assert not missing, "".join(missing)


def test_the_licence_ships_beside_the_font() -> None:
    licence = resources.files("fairlend.fonts").joinpath("OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Reserved Font Names" in licence
