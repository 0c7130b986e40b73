"""What an uploaded file is, by its bytes, and the same file without the metadata that could identify a child.

`sniff` reads the real type from the first bytes (magic numbers), never from the name or the client's declared type.
`strip` rewrites a file without what its camera or recorder wrote about it: GPS position, device, owner, dates,
titles, thumbnails of an earlier crop. No image library is needed: the containers are parsed, the pixels and the
sound are copied untouched.

    image/jpeg   segments kept: APP0 JFIF, APP2 ICC profile, APP14 Adobe (colours), the tables, frames and scans;
                 dropped: APP1 Exif and XMP, APP13 IPTC, COM, every other APPn, anything after the end of the image.
                 The Exif orientation alone is written back (a minimal Exif block), so a tablet's portrait photo
                 does not show on its side.
    image/png    dropped: tEXt, zTXt, iTXt, eXIf, tIME and any ancillary chunk not about the pixels; the chunks kept
                 are copied with their CRCs.
    image/webp   dropped: EXIF and XMP chunks (and unknown ones); the VP8X flags and the RIFF size follow.
    audio/mpeg   ID3v2 tags at the start and the ID3v1 tag at the end are removed.
    audio/wav    only the fmt, fact and data chunks are kept (LIST/INFO, bext, iXML... go).
    audio/mp4, audio/3gpp   udta and meta boxes (Android's ©xyz location, loci, iTunes tags) and XMP boxes are
                 overwritten by `free` boxes of the same size, so every offset into the file stays right.
    application/pdf, audio/ogg, audio/amr, audio/webm   stored as sent: a document's text is its content, and these
                 audio formats have no standard place for a position.

GIF and HEIC are not accepted: GIF carries comments and XMP in extension blocks that a photo never needs, and HEIC
(an iPhone's own format) would need an ISO BMFF item parser; browsers and tablets send JPEG when a form asks for it.
A file whose structure cannot be read is refused (Damaged): what cannot be parsed cannot be stripped.
"""
from __future__ import annotations

import struct

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
MP3, MP4, THREE_GP, OGG, WAV, AMR, WEBM = ("audio/mpeg", "audio/mp4", "audio/3gpp", "audio/ogg", "audio/wav",
                                           "audio/amr", "audio/webm")
IMAGES = (JPEG, PNG, WEBP)
AUDIO = (MP3, MP4, THREE_GP, OGG, WAV, AMR, WEBM)
EXTENSIONS = {JPEG: (".jpg", ".jpeg"), PNG: (".png",), WEBP: (".webp",), PDF: (".pdf",), MP3: (".mp3",),
              MP4: (".m4a", ".mp4"), THREE_GP: (".3gp",), OGG: (".ogg", ".oga", ".opus"), WAV: (".wav",),
              AMR: (".amr",), WEBM: (".webm",)}


# ISO BMFF major brands of MPEG-4 audio (and of the video files a recorder may write); HEIC and AVIF are not.
_MP4_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"mp41", b"mp42", b"mp71", b"isom", b"iso2", b"iso4",
                         b"iso5", b"iso6", b"dash", b"MSNV"})


class Damaged(ValueError):
    """The bytes start like a known type but do not hold its structure."""


def sniff(data: bytes) -> str | None:
    """The media type the bytes are (one of EXTENSIONS), or None."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return WEBP if head[8:12] == b"WEBP" else WAV
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return THREE_GP if brand[:3] in (b"3gp", b"3g2") else MP4 if brand in _MP4_BRANDS else None
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"#!AMR"):
        return AMR
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                   and head[1] & 0x06 != 0):  # an MPEG audio frame: sync bits and a layer
        return MP3
    return None


def strip(data: bytes, media_type: str) -> bytes:
    """The file without its metadata (see the module's table); Damaged when its structure cannot be read."""
    stripper = _STRIPPERS.get(media_type)
    try:
        return stripper(data) if stripper else data
    except Damaged:
        raise
    except (IndexError, ValueError, struct.error) as error:  # cut short, or a marker that is never found
        raise Damaged(media_type) from error


# --- JPEG -----------------------------------------------------------------------------------------

_SOI, _EOI, _SOS, _APP0, _APP1, _APP2, _APP14, _COM = 0xD8, 0xD9, 0xDA, 0xE0, 0xE1, 0xE2, 0xEE, 0xFE
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length
_KEPT_APPS = {_APP0: b"JFIF\x00", _APP2: b"ICC_PROFILE\x00", _APP14: b"Adobe"}


def strip_jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise Damaged(JPEG)
    out, position, orientation = [b"\xff\xd8"], 2, None
    while True:
        if data[position] != 0xFF:
            raise Damaged(JPEG)
        while data[position] == 0xFF:  # fill bytes
            position += 1
        marker = data[position]
        position += 1
        if marker == _EOI:
            out.append(b"\xff\xd9")  # whatever follows the image (a phone's appended video, depth map) goes
            break
        if marker in _STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        length = struct.unpack(">H", data[position:position + 2])[0]
        end = position + length
        if length < 2 or end > len(data):
            raise Damaged(JPEG)
        body = data[position + 2:end]
        if marker == _APP1 and body.startswith(b"Exif\x00\x00"):
            orientation = _exif_orientation(body[6:]) or orientation
        if marker == _SOS:
            end = _scan_end(data, end)
            out.append(data[position - 2:end])
        elif _kept_segment(marker, body):
            out.append(data[position - 2:end])
        position = end
    if orientation not in (None, 1):
        out.insert(_after_app0(out), _exif_block(orientation))
    return b"".join(out)


def _kept_segment(marker: int, body: bytes) -> bool:
    if 0xE0 <= marker <= 0xEF:
        return marker in _KEPT_APPS and body.startswith(_KEPT_APPS[marker])
    return marker != _COM


def _scan_end(data: bytes, position: int) -> int:
    """Where the entropy-coded data after a start of scan ends: at the next marker that is not a restart."""
    while True:
        position = data.index(b"\xff", position)
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            position += 1 if following == 0xFF else 2
            continue
        return position


def _after_app0(parts: list[bytes]) -> int:
    return 2 if len(parts) > 1 and parts[1][:2] == b"\xff\xe0" else 1


def _exif_orientation(tiff: bytes) -> int | None:
    """The Orientation (tag 274) of IFD0 of an Exif block, when it is one of the eight valid values.

    A damaged Exif block only loses its orientation: it is dropped anyway.
    """
    try:
        return _ifd0_orientation(tiff)
    except (IndexError, struct.error):
        return None


def _ifd0_orientation(tiff: bytes) -> int | None:
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    offset = struct.unpack(order + "I", tiff[4:8])[0]
    count = struct.unpack(order + "H", tiff[offset:offset + 2])[0]
    for index in range(count):
        entry = tiff[offset + 2 + 12 * index:offset + 14 + 12 * index]
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag == 0x0112 and kind == 3:
            value = struct.unpack(order + "H", entry[8:10])[0]
            return value if 1 <= value <= 8 else None
    return None


def _exif_block(orientation: int) -> bytes:
    """An APP1 Exif segment holding only the orientation (big-endian TIFF, one IFD entry)."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) \
        + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


# --- PNG ------------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Ancillary chunks about the pixels (colour, transparency, density, animation); any other ancillary chunk goes.
_PNG_KEPT = frozenset({b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCv", b"cLLi", b"bKGD",
                       b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT"})


def strip_png(data: bytes) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise Damaged(PNG)
    out, position = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    while True:
        length = struct.unpack(">I", data[position:position + 4])[0]
        kind = data[position + 4:position + 8]
        end = position + 12 + length
        if end > len(data) or len(kind) < 4 or not kind.isalpha():
            raise Damaged(PNG)
        critical = kind[:1].isupper()
        if critical or kind in _PNG_KEPT:
            out.append(data[position:end])
        position = end
        if kind == b"IEND":
            return b"".join(out)


# --- WebP -----------------------------------------------------------------------------------------

_WEBP_KEPT = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def strip_webp(data: bytes) -> bytes:
    size = struct.unpack("<I", data[4:8])[0]
    if size + 8 > len(data) or size < 4:
        raise Damaged(WEBP)
    chunks = []
    for kind, chunk in _riff_chunks(data, 12, size + 8, WEBP):
        if kind == b"VP8X":
            flags = chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP)
            chunk = chunk[:8] + bytes((flags,)) + chunk[9:]
        if kind in _WEBP_KEPT:
            chunks.append(chunk)
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _riff_chunks(data: bytes, position: int, end: int, media_type: str):
    """Yield (kind, the whole chunk with its header and padding) of a RIFF body."""
    while position < end:
        if position + 8 > end:
            raise Damaged(media_type)
        kind, length = data[position:position + 4], struct.unpack("<I", data[position + 4:position + 8])[0]
        stop = position + 8 + length + (length & 1)
        if position + 8 + length > end:
            raise Damaged(media_type)
        yield kind, data[position:min(stop, end)]
        position = stop


# --- audio ----------------------------------------------------------------------------------------

def strip_mp3(data: bytes) -> bytes:
    start = 0
    while data[start:start + 3] == b"ID3":  # ID3v2: a 10-byte header, a syncsafe size, an optional footer
        size_bytes = data[start + 6:start + 10]
        if len(size_bytes) < 4 or any(byte & 0x80 for byte in size_bytes):
            raise Damaged(MP3)
        size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
        start += 10 + size + (10 if data[start + 5] & 0x10 else 0)
    end = len(data) - 128 if len(data) - start >= 128 and data[-128:-125] == b"TAG" else len(data)
    audio = data[start:end]
    if len(audio) < 2 or audio[0] != 0xFF or audio[1] & 0xE0 != 0xE0:
        raise Damaged(MP3)
    return audio


_WAV_KEPT = frozenset({b"fmt ", b"fact", b"data"})


def strip_wav(data: bytes) -> bytes:
    size = struct.unpack("<I", data[4:8])[0]
    end = min(size + 8, len(data))  # recorders cut short by a crash leave a RIFF size larger than the file
    chunks = [chunk for kind, chunk in _riff_chunks(data, 12, end, WAV) if kind in _WAV_KEPT]
    if not chunks:
        raise Damaged(WAV)
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# Boxes holding what describes a recording rather than the sound: user data (©xyz, loci, titles), metadata
# (iTunes and QuickTime keys, Apple's location), and XMP.
_MP4_METADATA = frozenset({b"udta", b"meta"})
_MP4_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf"})
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")


def strip_mp4(data: bytes) -> bytes:
    out = bytearray(data)
    _free_metadata(out, 0, len(out), top=True)
    return bytes(out)


def _free_metadata(data: bytearray, position: int, end: int, top: bool) -> None:
    """Overwrite the metadata boxes between `position` and `end` by free boxes of the same size."""
    while position < end:
        size, kind = struct.unpack(">I4s", data[position:position + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[position + 8:position + 16])[0], 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise Damaged(MP4)
        is_xmp = kind == b"uuid" and bytes(data[position + header:position + header + 16]) == _XMP_UUID
        if kind in _MP4_METADATA or (top and is_xmp):
            data[position + 4:position + 8] = b"free"
            data[position + header:position + size] = bytes(size - header)
        elif kind in _MP4_CONTAINERS:
            _free_metadata(data, position + header, position + size, top=False)
        position += size


_STRIPPERS = {JPEG: strip_jpeg, PNG: strip_png, WEBP: strip_webp, MP3: strip_mp3, WAV: strip_wav, MP4: strip_mp4,
              THREE_GP: strip_mp4}
