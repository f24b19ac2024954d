"""The CJK font every Chinese PDF embeds, shipped with the package.

reportlab's built-in CID fonts (STSong-Light) are not embedded: a reader
without Adobe's Asian font pack, or poppler on a machine with no CJK font,
shows empty boxes. "Fairlend Kai" is a GB2312 subset of LXGW WenKai (SIL OFL
1.1, OFL.txt beside this file; README.md says how it was made). reportlab
embeds only the glyphs a document uses, so a PDF grows by kilobytes, not by
the 3.5 MB of the file.
"""

from __future__ import annotations

from importlib import resources

CJK_FONT = "FairlendKai"
_FILE = "FairlendKai-Regular.ttf"


def cjk_font() -> str:
    """Register the font with reportlab once and return its name for styles."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        path = resources.files(__name__).joinpath(_FILE)
        pdfmetrics.registerFont(TTFont(CJK_FONT, str(path)))
    return CJK_FONT
