"""Uploaded photos: refused when they are no image or too many pixels to decode safely, and
re-encoded before they are stored.

A small file can hold a huge image (a 2.6 MB PNG of 30000×30000 pixels decodes to 2.7 GB): the
pixel count is read from the header and checked before anything is decoded. What is kept is a
fresh JPEG made from the decoded pixels, turned the way the camera held it and no larger than
a screen needs: whatever else the upload carried (EXIF with the place it was taken, trailing
data, a second file hidden behind the image) is gone.
"""

import io
import warnings

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

#: the most pixels an upload may have (a 48-megapixel phone photo fits)
MAX_PIXELS = 50_000_000
#: the longest side of what is stored
STORED_SIDE = 2048
#: formats accepted (by their content, never by their name)
FORMATS = {"JPEG", "PNG", "WEBP"}
JPEG_QUALITY = 82


class BadImage(ValueError):
    """The upload is refused; ``message`` says why, for the field."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def reencode(data: bytes) -> bytes:
    """``data`` (JPEG, PNG or WebP) as a fresh JPEG of at most STORED_SIDE pixels a side.
    Raises :class:`BadImage` for anything else, or an image of more than MAX_PIXELS pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=sorted(FORMATS)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise BadImage(_l("The photo has too many pixels: send it at a smaller size."))
                image.draft("RGB", (STORED_SIDE, STORED_SIDE))  # JPEG: decode at a reduced size
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGB")
                image.thumbnail((STORED_SIDE, STORED_SIDE))
                out = io.BytesIO()
                image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
                return out.getvalue()
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(_l("The photo has too many pixels: send it at a smaller size.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise BadImage(_l("Photos must be JPEG, PNG or WebP images.")) from None


MAX_PHOTO_BYTES = 5 * 1024 * 1024


def image_type(data: bytes):
    """The image type by the file's first bytes (JPEG, PNG or WebP), or None: what the browser
    says a file is, and its name, are not trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
