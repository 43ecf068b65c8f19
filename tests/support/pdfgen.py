"""tests/support/pdfgen.py: a tiny PDF writer for the document tests (no dependency).

make_pdf([["line 1", "line 2"], ["page 2"]]) returns the bytes of a valid PDF 1.4 with one
page per list, text in Helvetica with WinAnsiEncoding (so Latin-1 letters such as "Über",
"café" and "€" survive extraction), and a correct cross-reference table.
"""


def _pdf_string(text):
    raw = text.encode("cp1252")
    out = bytearray(b"(")
    for b in raw:
        if b in (0x28, 0x29, 0x5C):  # ( ) \
            out += b"\\" + bytes([b])
        elif b < 0x20 or b > 0x7E:
            out += b"\\%03o" % b
        else:
            out.append(b)
    return bytes(out + b")")


def make_pdf(pages):
    objects = []  # bodies; object n is objects[n-1]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(None)  # pages, filled below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                   b"/Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        stream = bytearray(b"BT /F1 14 Tf 72 720 Td 18 TL\n")
        for line in lines:
            stream += _pdf_string(line) + b" Tj T*\n"
        stream += b"ET\n"
        content_no = len(objects) + 1
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + bytes(stream) + b"endstream")
        page_no = len(objects) + 1
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_no)
        kids.append(page_no)
    objects[1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) +
                  b"] /Count %d >>" % len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pad_pdf(pdf, size):
    """A valid PDF grown to exactly size bytes with a trailing comment (PDF readers ignore it;
    poppler finds startxref from the end, so the padding goes before the last lines)."""
    head, sep, tail = pdf.rpartition(b"startxref")
    need = size - len(pdf)
    if need <= 0:
        return pdf
    filler = b"%" + b"x" * (need - 2) + b"\n"
    return head + filler + sep + tail
