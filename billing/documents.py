"""Invoices as documents: the same figures as HTML (a template) and as PDF (reportlab).

Both are written wholly in the invoice's language (the customer's, stored when it was
issued): labels, dates and numbers. Amounts are stored to 4 decimals and shown rounded
to the currency's minor unit; they were rounded that way when priced, so nothing
changes in the display. A PDF with Chinese text embeds a CJK TrueType font
(`INVOICE_CJK_FONT`, by default the first of `CJK_FONT_FILES` found); without one it
fails with `DocumentFontMissing` instead of printing empty boxes.
"""

import io
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from billing.models import Invoice
from billing.pricing import minor_unit, round_money

CJK_FONT = "ChargeNetCJK"
# TrueType CJK fonts of Debian packages (fonts-wqy-microhei, fonts-wqy-zenhei,
# fonts-arphic-uming); OpenType/CFF fonts such as Noto CJK cannot be embedded by reportlab.
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)

# Price line kinds (billing.pricing.engine) and the words their descriptions start with.
KIND_WORDS = {
    "energy": ("Energy", gettext_lazy("Energy")),
    "time": ("Charging time", gettext_lazy("Charging time")),
    "power_tier": ("Charging time", gettext_lazy("Charging time")),
    "prepaid_block": ("Prepaid block", gettext_lazy("Prepaid block")),
    "session_fee": ("Session fee", gettext_lazy("Session fee")),
    "idle": ("Idle fee", gettext_lazy("Idle fee")),
    "minimum": ("Minimum price", gettext_lazy("Minimum price")),
    "maximum": ("Maximum price", gettext_lazy("Maximum price")),
}


class DocumentFontMissing(RuntimeError):
    """No CJK font to embed: the PDF would print boxes for the Chinese text."""


def money(amount: Decimal, currency: str) -> str:
    """The amount to the currency's minor unit, grouped as the active language writes it."""
    rounded = round_money(amount, currency)
    places = -minor_unit(currency).as_tuple().exponent
    return formats.number_format(rounded, places, use_l10n=True, force_grouping=True)


def day(value: date | None) -> str:
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True) if value else ""


def _labels(invoice: Invoice) -> dict[str, str]:
    """Every word the documents print, in the active language."""
    return {
        "title": str(invoice.get_kind_display()),
        "number": _("Number"),
        "issued": _("Issued"),
        "period": _("Period"),
        "due": _("Due"),
        "credits": _("Credits invoice"),
        "tax_id": _("VAT id"),
        "registration": _("Registration number"),
        "bill_to": _("Bill to"),
        "customer": _("Customer"),
        "description": _("Description"),
        "tax_rate": _("Tax"),
        "net": _("Net"),
        "tax_amount": _("Tax amount"),
        "gross": _("Gross"),
        "net_at": _("Net at"),
        "net_total": _("Net total"),
        "tax_total": _("Tax total"),
        "total": _("Total"),
        "reason": _("Reason"),
        "bank_account": _("Bank account"),
        "pdf": _("PDF"),
    }


def invoice_context(invoice: Invoice) -> dict:
    """What both documents show (call with the invoice's language active)."""
    currency = invoice.currency
    lines, by_rate = [], defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in invoice.lines.all():
        by_rate[line.tax_rate_percent][0] += line.net
        by_rate[line.tax_rate_percent][1] += line.tax
        lines.append(
            {
                "position": line.position,
                "description": line.description,
                "details": [_detail(d, currency) for d in line.details],
                "tax_rate": _percent(line.tax_rate_percent),
                "net": money(line.net, currency),
                "tax": money(line.tax, currency),
                "gross": money(line.gross, currency),
            }
        )
    labels = _labels(invoice)
    return {
        "invoice": invoice,
        "labels": labels,
        "title": labels["title"],
        "language": invoice.language,
        "issued": day(invoice.issued_at.date()),
        "period": f"{day(invoice.period_start)} – {day(invoice.period_end)}",
        "due": day(invoice.due_date),
        "lines": lines,
        "tax_rates": [
            {"rate": _percent(rate), "net": money(n, currency), "tax": money(t, currency)}
            for rate, (n, t) in sorted(by_rate.items())
        ],
        "net": money(invoice.net, currency),
        "tax": money(invoice.tax, currency),
        "gross": money(invoice.gross, currency),
        "currency": currency,
        "logo_url": default_storage.url(invoice.seller_logo) if invoice.seller_logo else "",
    }


def _percent(rate: Decimal) -> str:
    return f"{formats.number_format(rate.normalize(), use_l10n=True)} %"


def _detail(line: dict, currency: str) -> dict:
    """A price line as text: 'Energy: 3.700 kWh × 0.35/kWh = 1.30', in the active language."""
    price = Decimal(line.get("unit_price", "0")).normalize()
    if price.as_tuple().exponent > -2:
        price = price.quantize(Decimal("0.01"))
    return {
        "description": _detail_words(line),
        "quantity": f"{line.get('quantity', '')} {line.get('unit', '')}".strip(),
        "rate": f"{price:f}/{line.get('price_unit', '')}",
        "amount": money(Decimal(line.get("amount", "0")), currency),
    }


def _detail_words(line: dict) -> str:
    """The line's description with its leading words translated (labels and figures stay)."""
    description = line.get("description", "")
    english, words = KIND_WORDS.get(line.get("kind", ""), ("", ""))
    if english and description.startswith(english):
        return str(words) + description[len(english) :]
    return description


def invoice_html(invoice: Invoice) -> str:
    with translation.override(invoice.language):
        return render_to_string("billing/invoice_document.html", invoice_context(invoice))


def invoice_pdf(invoice: Invoice) -> bytes:
    """An A4 PDF of the invoice or credit note, in the invoice's language."""
    with translation.override(invoice.language):
        context = invoice_context(invoice)
        styles = _styles(_font_for(invoice, context))
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=f"{context['title']} {invoice.number}",
            author=invoice.seller_name,
        )
        document.build(_story(invoice, context, styles))
    return buffer.getvalue()


def cjk_font_file() -> Path | None:
    """The CJK TrueType font to embed: INVOICE_CJK_FONT, else the first installed one."""
    configured = getattr(settings, "INVOICE_CJK_FONT", "")
    candidates = [configured] if configured else list(CJK_FONT_FILES)
    return next((Path(c) for c in candidates if Path(c).is_file()), None)


def _font_for(invoice: Invoice, context: dict) -> str:
    texts = [invoice.seller_name, invoice.seller_address, invoice.customer_name, invoice.footer]
    texts += [invoice.customer_address, *context["labels"].values(), context["issued"]]
    texts += [line["description"] for line in context["lines"]]
    texts += [d["description"] for line in context["lines"] for d in line["details"]]
    try:
        "".join(texts).encode("cp1252")
    except UnicodeEncodeError:
        _register_cjk_font()
        return CJK_FONT
    return "Helvetica"


def _register_cjk_font() -> None:
    if CJK_FONT in pdfmetrics.getRegisteredFontNames():
        return
    path = cjk_font_file()
    if path is None:
        raise DocumentFontMissing(
            "No CJK font to embed in the PDF: install the Debian package fonts-wqy-microhei "
            "or set INVOICE_CJK_FONT to a TrueType (.ttf/.ttc) font file."
        )
    # subfontIndex 0: the first face of a collection (.ttc); ignored for a .ttf.
    pdfmetrics.registerFont(TTFont(CJK_FONT, str(path), subfontIndex=0))


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()["Normal"]
    body = ParagraphStyle("body", parent=base, fontName=font, fontSize=9, leading=12)
    if font == CJK_FONT:
        body.wordWrap = "CJK"  # Chinese breaks between characters, not at spaces
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle("title", parent=body, fontSize=16, leading=20),
        "right": ParagraphStyle("right", parent=body, alignment=2),
    }


def _text(value: str, style: ParagraphStyle) -> Paragraph:
    escaped = (value or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), style)


def _logo(invoice: Invoice) -> list[Flowable]:
    if not invoice.seller_logo or not default_storage.exists(invoice.seller_logo):
        return []
    with default_storage.open(invoice.seller_logo, "rb") as file:
        image = Image(io.BytesIO(file.read()))
    ratio = image.imageWidth / image.imageHeight if image.imageHeight else 1
    image.drawHeight = 14 * mm
    image.drawWidth = min(60 * mm, 14 * mm * ratio)
    image.hAlign = "LEFT"
    return [image, Spacer(1, 3 * mm)]


def _story(invoice: Invoice, context: dict, styles) -> list[Flowable]:
    body, small, right = styles["body"], styles["small"], styles["right"]
    words = context["labels"]
    seller = "\n".join(
        part
        for part in (
            invoice.seller_name,
            invoice.seller_address,
            invoice.seller_tax_id and f"{words['tax_id']}: {invoice.seller_tax_id}",
            invoice.seller_registration
            and f"{words['registration']}: {invoice.seller_registration}",
            invoice.seller_email,
        )
        if part
    )
    meta = [
        f"{words['number']}: {invoice.number}",
        f"{words['issued']}: {context['issued']}",
        f"{words['period']}: {context['period']}",
    ]
    if invoice.due_date:
        meta.append(f"{words['due']}: {context['due']}")
    if invoice.credited_invoice_id:
        meta.append(f"{words['credits']} {invoice.credited_invoice.number}")
    customer = "\n".join(
        p
        for p in (
            invoice.customer_name or words["customer"],
            invoice.customer_address,
            invoice.customer_email,
        )
        if p
    )
    story: list[Flowable] = [
        *_logo(invoice),
        _text(f"{context['title']} {invoice.number}", styles["title"]),
        Spacer(1, 4 * mm),
        _grid([[_text(seller, body), _text("\n".join(meta), right)]], [87 * mm, 87 * mm]),
        Spacer(1, 6 * mm),
        _text(f"{words['bill_to']}:\n{customer}", body),
        Spacer(1, 6 * mm),
        _lines_table(context, body, small, right),
        Spacer(1, 4 * mm),
        _totals_table(context, body, right),
    ]
    if invoice.reason:
        story += [Spacer(1, 4 * mm), _text(f"{words['reason']}: {invoice.reason}", body)]
    if invoice.seller_bank_account:
        text = f"{words['bank_account']}: {invoice.seller_bank_account}"
        story += [Spacer(1, 4 * mm), _text(text, body)]
    if invoice.footer:
        story += [Spacer(1, 6 * mm), _text(invoice.footer, small)]
    return story


def _grid(rows, widths, style=None) -> Table:
    table = Table(rows, colWidths=widths)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *(style or [])]))
    return table


def _lines_table(context, body, small, right) -> Table:
    words = context["labels"]
    header = [
        _text("#", body),
        _text(words["description"], body),
        *(_text(words[k], right) for k in ("tax_rate", "net", "tax_amount", "gross")),
    ]
    rows = [header]
    for line in context["lines"]:
        details = "\n".join(
            f"{d['description']}: {d['quantity']} × {d['rate']} = {d['amount']}"
            for d in line["details"]
        )
        description = [_text(line["description"], body)]
        if details:
            description.append(_text(details, small))
        rows.append(
            [
                _text(str(line["position"]), body),
                description,
                _text(line["tax_rate"], right),
                _text(line["net"], right),
                _text(line["tax"], right),
                _text(line["gross"], right),
            ]
        )
    widths = [8 * mm, 86 * mm, 16 * mm, 21 * mm, 21 * mm, 22 * mm]
    return _grid(
        rows,
        widths,
        [
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
        ],
    )


def _totals_table(context, body, right) -> Table:
    """Net, tax and total under the lines, right-aligned against the page's right margin."""
    words, currency = context["labels"], context["currency"]
    rows = [
        [_text(f"{words['net_at']} {r['rate']}", right), _text(r["net"], right)]
        + [_text(r["tax"], right)]
        for r in context["tax_rates"]
    ]
    rows += [
        [_text(words["net_total"], right), _text(context["net"], right), _text("", body)],
        [_text(words["tax_total"], right), _text("", body), _text(context["tax"], right)],
        [
            _text(f"{words['total']} ({currency})", right),
            _text("", body),
            _text(context["gross"], right),
        ],
    ]
    table = _grid(
        rows,
        [50 * mm, 30 * mm, 30 * mm],
        [("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black), ("ALIGN", (0, 0), (-1, -1), "RIGHT")],
    )
    table.hAlign = "RIGHT"
    return table
