"""QR codes for connector pages (the `qrcode` library, SVG: prints sharp at any size)."""

import qrcode
import qrcode.image.svg


def qr_svg(data: str) -> bytes:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    return image.to_string(encoding="unicode").encode()
