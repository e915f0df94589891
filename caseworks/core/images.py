"""Photos taken on a phone (visit photos, signed delivery receipts): what they may be."""

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
