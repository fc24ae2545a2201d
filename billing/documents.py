"""Invoices as documents: the same figures as HTML (a template) and as PDF (reportlab).

Amounts are stored to 4 decimals and shown rounded to the currency's minor unit;
they were rounded that way when priced, so nothing changes in the display.
"""

import io
from collections import defaultdict
from decimal import Decimal

from django.template.loader import render_to_string
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from billing.models import Invoice
from billing.pricing import round_money

CJK_FONT = "STSong-Light"  # a CID font PDF viewers provide: no font file to ship


def money(amount: Decimal, currency: str) -> str:
    return f"{round_money(amount, currency):,}"


def invoice_context(invoice: Invoice) -> dict:
    """What both documents show: parties, lines with their price details, tax by rate."""
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
                "tax_rate": f"{line.tax_rate_percent.normalize():f} %",
                "net": money(line.net, currency),
                "tax": money(line.tax, currency),
                "gross": money(line.gross, currency),
            }
        )
    return {
        "invoice": invoice,
        "title": invoice.get_kind_display(),
        "lines": lines,
        "tax_rates": [
            {
                "rate": f"{rate.normalize():f} %",
                "net": money(n, currency),
                "tax": money(t, currency),
            }
            for rate, (n, t) in sorted(by_rate.items())
        ],
        "net": money(invoice.net, currency),
        "tax": money(invoice.tax, currency),
        "gross": money(invoice.gross, currency),
        "currency": currency,
    }


def _detail(line: dict, currency: str) -> dict:
    """A price line as text: 'Energy: 3.700 kWh × 0.35/kWh = 1.30'."""
    price = Decimal(line.get("unit_price", "0")).normalize()
    if price.as_tuple().exponent > -2:
        price = price.quantize(Decimal("0.01"))
    return {
        "description": line.get("description", ""),
        "quantity": f"{line.get('quantity', '')} {line.get('unit', '')}".strip(),
        "rate": f"{price:f}/{line.get('price_unit', '')}",
        "amount": money(Decimal(line.get("amount", "0")), currency),
    }


def invoice_html(invoice: Invoice) -> str:
    return render_to_string("billing/invoice_document.html", invoice_context(invoice))


def invoice_pdf(invoice: Invoice) -> bytes:
    """An A4 PDF of the invoice or credit note."""
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


def _font_for(invoice: Invoice, context: dict) -> str:
    texts = [invoice.seller_name, invoice.seller_address, invoice.customer_name, invoice.footer]
    texts += [line["description"] for line in context["lines"]]
    try:
        "".join(texts).encode("cp1252")
    except UnicodeEncodeError:
        if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        return CJK_FONT
    return "Helvetica"


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()["Normal"]
    body = ParagraphStyle("body", parent=base, fontName=font, fontSize=9, leading=12)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle("title", parent=body, fontSize=16, leading=20),
        "right": ParagraphStyle("right", parent=body, alignment=2),
    }


def _text(value: str, style: ParagraphStyle) -> Paragraph:
    escaped = (value or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), style)


def _story(invoice: Invoice, context: dict, styles) -> list[Flowable]:
    body, small, right = styles["body"], styles["small"], styles["right"]
    seller = "\n".join(
        part
        for part in (
            invoice.seller_name,
            invoice.seller_address,
            invoice.seller_tax_id and f"Tax id: {invoice.seller_tax_id}",
            invoice.seller_email,
        )
        if part
    )
    meta = [
        f"Number: {invoice.number}",
        f"Issued: {invoice.issued_at:%Y-%m-%d}",
        f"Period: {invoice.period_start} – {invoice.period_end}",
    ]
    if invoice.due_date:
        meta.append(f"Due: {invoice.due_date}")
    if invoice.credited_invoice_id:
        meta.append(f"Credits invoice {invoice.credited_invoice.number}")
    customer = "\n".join(
        p for p in (invoice.customer_name or "Customer", invoice.customer_email) if p
    )
    story: list[Flowable] = [
        _text(f"{context['title']} {invoice.number}", styles["title"]),
        Spacer(1, 4 * mm),
        _grid([[_text(seller, body), _text("\n".join(meta), right)]], [87 * mm, 87 * mm]),
        Spacer(1, 6 * mm),
        _text("Bill to:\n" + customer, body),
        Spacer(1, 6 * mm),
        _lines_table(context, body, small, right),
        Spacer(1, 4 * mm),
        _totals_table(context, body, right),
    ]
    if invoice.reason:
        story += [Spacer(1, 4 * mm), _text(f"Reason: {invoice.reason}", body)]
    if invoice.seller_bank_account:
        story += [Spacer(1, 4 * mm), _text(f"Bank account: {invoice.seller_bank_account}", body)]
    if invoice.footer:
        story += [Spacer(1, 6 * mm), _text(invoice.footer, small)]
    return story


def _grid(rows, widths, style=None) -> Table:
    table = Table(rows, colWidths=widths)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *(style or [])]))
    return table


def _lines_table(context, body, small, right) -> Table:
    header = ["#", "Description", "Tax", "Net", "Tax amount", "Gross"]
    rows = [[_text(h, body) for h in header]]
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
    currency = context["currency"]
    rows = [
        [_text(f"Net at {r['rate']}", body), _text(r["net"], right), _text(r["tax"], right)]
        for r in context["tax_rates"]
    ]
    rows += [
        [_text("Net total", body), _text(context["net"], right), _text("", body)],
        [_text("Tax total", body), _text("", body), _text(context["tax"], right)],
        [_text(f"Total ({currency})", body), _text("", body), _text(context["gross"], right)],
    ]
    return _grid(
        rows,
        [40 * mm, 30 * mm, 30 * mm],
        [("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black), ("ALIGN", (0, 0), (-1, -1), "RIGHT")],
    )
