"""The public renditions of a resource's photos: decoded and encoded again with Pillow, so that nothing of
the uploaded file but its pixels reaches the public (no EXIF, no GPS position, no comments, no embedded
thumbnail or script), at the sizes the catalogue shows."""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

SIZES = (320, 640, 1280)  # the longest side of each rendition, in pixels
MAX_PIXELS = 40_000_000  # above it a small file may unpack to gigabytes: refused


class PhotoUnreadable(ValueError):
    """The bytes are no image Pillow reads within the bounds."""


def public_rendition(content: bytes, size: int) -> tuple[bytes, str]:
    """The photo at most `size` pixels on its longest side, as JPEG (PNG when it has transparency), with its
    orientation applied and every piece of metadata left out; with its content type."""
    if size not in SIZES:
        raise ValueError(size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoUnreadable("too many pixels")
                image.draft("RGB", (size, size))  # a JPEG is decoded at the size needed, not at full size
                picture = ImageOps.exif_transpose(image)  # the camera's rotation, before its EXIF goes
                picture.thumbnail((size, size))
                transparent = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
                clean = picture.convert("RGBA" if transparent else "RGB")
                clean.info = {}  # a comment, an ICC profile, EXIF kept aside by the decoder: none is written
                out = io.BytesIO()
                if transparent:
                    clean.save(out, "PNG", optimize=True)
                    return out.getvalue(), "image/png"
                clean.save(out, "JPEG", quality=85, optimize=True, progressive=True)
                return out.getvalue(), "image/jpeg"
    except PhotoUnreadable:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoUnreadable(type(exc).__name__) from exc
