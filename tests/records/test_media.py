"""Uploaded files: their real type from their bytes, and their metadata stripped with the image or sound intact.

The images and recordings are built here, byte by byte, as cameras and recorders write them: a JPEG with an Exif
block holding a GPS position (and XMP, IPTC, a comment, a thumbnail's trailer), a PNG with text chunks, a WebP with
EXIF and XMP chunks, an MP3 with ID3 tags, a WAV with a LIST chunk, an M4A with Android's ©xyz location.
"""
from __future__ import annotations

import struct
import zlib

import pytest

from server.records import media

# Bénin, Natitingou: 10°18'N 1°22'E, as an Exif GPS IFD writes it (degrees, minutes, seconds as rationals).
LATITUDE = struct.pack("<6I", 10, 1, 18, 1, 4321, 100)
LONGITUDE = struct.pack("<6I", 1, 1, 22, 1, 8765, 100)
PLACE_TEXT = b"+10.3012+001.3743/"


def _ifd(entries: list[tuple[int, int, int, bytes]], start: int, next_ifd: int = 0) -> tuple[bytes, bytes]:
    """An IFD at offset `start` of a little-endian TIFF: (the IFD, the values placed after it)."""
    after = start + 2 + 12 * len(entries) + 4
    table, values = struct.pack("<H", len(entries)), b""
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            table += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
        else:
            table += struct.pack("<HHII", tag, kind, count, after + len(values))
            values += value
    return table + struct.pack("<I", next_ifd), values


def exif_with_gps(orientation: int = 6) -> bytes:
    """An Exif APP1 body: IFD0 (Make, Orientation, GPS pointer) and a GPS IFD (N 10°18'43", E 1°22'87")."""
    make = b"TabletCam\0"
    ifd0_entries = 3
    gps_offset = 8 + 2 + 12 * ifd0_entries + 4 + len(make)
    ifd0, values0 = _ifd([(0x010F, 2, len(make), make), (0x0112, 3, 1, struct.pack("<H", orientation)),
                          (0x8825, 4, 1, struct.pack("<I", gps_offset))], 8)
    gps, gps_values = _ifd([(1, 2, 2, b"N\0"), (2, 5, 3, LATITUDE), (3, 2, 2, b"E\0"), (4, 5, 3, LONGITUDE)],
                           gps_offset)
    tiff = b"II*\0" + struct.pack("<I", 8) + ifd0 + values0 + gps + gps_values
    return b"Exif\0\0" + tiff


def segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


# A 1x1 grey baseline image: quantization table, frame, Huffman tables, and a scan whose entropy-coded data holds a
# stuffed 0xFF00 and a restart marker (the shapes a parser must walk through).
DQT = segment(0xDB, b"\x00" + bytes(range(1, 65)))
SOF0 = segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
DHT_DC = segment(0xC4, b"\x00" + bytes([0, 1] + [0] * 14) + b"\x00")
DHT_AC = segment(0xC4, b"\x10" + bytes([0, 1] + [0] * 14) + b"\x00")
DRI = segment(0xDD, b"\x00\x01")
SOS = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
SCAN = b"\x12\xff\x00\x34\xff\xd0\x56\x78"
IMAGE = DQT + SOF0 + DHT_DC + DHT_AC + DRI + SOS + SCAN
JFIF = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00")
ICC = segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"profile-bytes")
ADOBE = segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01")


def camera_jpeg(orientation: int = 6) -> bytes:
    """What a tablet's camera writes: JFIF, Exif with GPS, XMP, IPTC, ICC, a multi-picture APP2, a comment, the
    image, and a trailer after the end of the image."""
    return (b"\xff\xd8" + JFIF + segment(0xE1, exif_with_gps(orientation))
            + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>" + PLACE_TEXT + b"</x:xmpmeta>")
            + segment(0xED, b"Photoshop 3.0\0" + b"8BIM\x04\x04" + b"Natitingou")
            + ICC + segment(0xE2, b"MPF\0" + b"depth map") + ADOBE + segment(0xFE, b"Awa, 9 ans")
            + b"\xff\xff" + IMAGE + b"\xff\xd9" + b"MotionPhoto_Data" + LATITUDE)


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """Walk a JPEG from SOI to EOI: (marker, segment bytes), the scan's data with its SOS; fail on any fault."""
    assert data[:2] == b"\xff\xd8"
    found, position = [], 2
    while True:
        assert data[position] == 0xFF, position
        marker = data[position + 1]
        if marker == 0xD9:
            assert position + 2 == len(data), "bytes after the end of the image"
            return found
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        end = position + 2 + length
        if marker == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                end += 1
        found.append((marker, data[position:end]))
        position = end


def test_a_jpeg_loses_exif_gps_xmp_iptc_comments_and_trailers_and_keeps_the_image():
    original = camera_jpeg()
    stripped = media.strip(original, media.JPEG)
    segments = jpeg_segments(stripped)
    assert [marker for marker, _ in segments] == [0xE0, 0xE1, 0xE2, 0xEE, 0xDB, 0xC0, 0xC4, 0xC4, 0xDD, 0xDA]
    assert b"".join(body for marker, body in segments if marker < 0xE0 or marker > 0xEF) == IMAGE
    assert [body for marker, body in segments if marker in (0xE0, 0xE2, 0xEE)] == [JFIF, ICC, ADOBE]
    for secret in (LATITUDE, LONGITUDE, PLACE_TEXT, b"TabletCam", b"Natitingou", b"Awa", b"depth map",
                   b"MotionPhoto", b"xmpmeta", b"8BIM"):
        assert secret not in stripped, secret
    assert struct.pack("<H", 0x8825) not in stripped  # no GPS pointer either


def test_only_the_orientation_of_the_exif_block_is_written_back():
    stripped = media.strip(camera_jpeg(orientation=6), media.JPEG)
    exif = next(body for marker, body in jpeg_segments(stripped) if marker == 0xE1)
    tiff = exif[10:]
    assert tiff[:8] == b"MM\x00\x2a\x00\x00\x00\x08"
    assert struct.unpack(">H", tiff[8:10])[0] == 1  # one entry: the orientation, 6 (turn 90°)
    assert struct.unpack(">HHIH", tiff[10:20]) == (0x0112, 3, 1, 6)
    upright = media.strip(camera_jpeg(orientation=1), media.JPEG)
    assert 0xE1 not in [marker for marker, _ in jpeg_segments(upright)]


def test_a_jpeg_without_metadata_is_unchanged_and_a_cut_one_is_damaged():
    plain = b"\xff\xd8" + JFIF + IMAGE + b"\xff\xd9"
    assert media.strip(plain, media.JPEG) == plain
    with pytest.raises(media.Damaged):
        media.strip(camera_jpeg()[:200], media.JPEG)
    with pytest.raises(media.Damaged):
        media.strip(b"\xff\xd8\xff\xe1\x00\xff" + b"x" * 10, media.JPEG)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


PIXELS = b"\x00\x10\x20\x30" + b"\x00\x40\x50\x60"  # two rows of one RGB pixel, filter byte 0


def camera_png() -> bytes:
    """A 1x2 RGB PNG with its colour chunks and every text chunk a phone or an editor writes."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 2, 8, 2, 0, 0, 0))
    return (b"\x89PNG\r\n\x1a\n" + header + chunk(b"gAMA", struct.pack(">I", 45455))
            + chunk(b"tEXt", b"Author\0Awa") + chunk(b"zTXt", b"Comment\0\0" + zlib.compress(PLACE_TEXT))
            + chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>" + PLACE_TEXT)
            + chunk(b"eXIf", exif_with_gps()[6:]) + chunk(b"tIME", b"\x07\xe8\x05\x1f\x0c\x00\x00")
            + chunk(b"pHYs", b"\x00\x00\x0b\x13\x00\x00\x0b\x13\x01") + chunk(b"vpAg", b"private")
            + chunk(b"IDAT", zlib.compress(PIXELS)) + chunk(b"IEND", b"") + b"trailing")


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Read a PNG's chunks, checking each CRC and that IEND ends the file."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    found, position = [], 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        assert struct.unpack(">I", data[position + 8 + length:position + 12 + length])[0] == zlib.crc32(kind + body)
        found.append((kind, body))
        position += 12 + length
    assert found[-1][0] == b"IEND" and position == len(data)
    return found


def test_a_png_loses_its_text_exif_and_time_chunks_with_every_crc_valid_and_the_same_pixels():
    stripped = media.strip(camera_png(), media.PNG)
    chunks = png_chunks(stripped)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"gAMA", b"pHYs", b"IDAT", b"IEND"]
    assert zlib.decompress(dict(chunks)[b"IDAT"]) == PIXELS
    for secret in (b"Awa", b"xmpmeta", LATITUDE, b"tIME", b"private", b"trailing", zlib.compress(PLACE_TEXT)):
        assert secret not in stripped


def riff(form: bytes, *chunks: bytes) -> bytes:
    body = form + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


VP8L = riff_chunk(b"VP8L", b"\x2f\x00\x00\x00\x00\x07\x10\x11\x11\x88\x88\xfe\x07\x00")


def test_a_webp_loses_its_exif_and_xmp_chunks_and_its_flags_and_size_follow():
    flags = 0x08 | 0x04 | 0x20  # EXIF, XMP, ICC
    vp8x = riff_chunk(b"VP8X", bytes((flags, 0, 0, 0)) + b"\0\0\0" + b"\0\0\0")
    original = riff(b"WEBP", vp8x, riff_chunk(b"ICCP", b"profile"), VP8L, riff_chunk(b"EXIF", exif_with_gps()[6:]),
                    riff_chunk(b"XMP ", b"<x:xmpmeta>" + PLACE_TEXT))
    assert media.sniff(original) == media.WEBP
    stripped = media.strip(original, media.WEBP)
    assert stripped[8:12] == b"WEBP" and struct.unpack("<I", stripped[4:8])[0] == len(stripped) - 8
    assert stripped[12:] == riff_chunk(b"VP8X", bytes((0x20, 0, 0, 0)) + b"\0" * 6) \
        + riff_chunk(b"ICCP", b"profile") + VP8L
    assert LATITUDE not in stripped and PLACE_TEXT not in stripped


def test_an_mp3_loses_its_id3_tags_and_keeps_its_frames():
    frames = b"\xff\xfb\x90\x64" + b"\x00" * 413
    frame_text = b"\x03" + PLACE_TEXT
    tag_body = b"TXXX" + struct.pack(">I", len(frame_text)) + b"\0\0" + frame_text
    size = len(tag_body)
    id3v2 = b"ID3\x03\x00\x00" + bytes(((size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F))
    id3v1 = b"TAG" + b"Entretien Awa".ljust(125, b"\0")
    original = id3v2 + tag_body + frames + id3v1
    assert media.sniff(original) == media.MP3 and media.sniff(frames) == media.MP3
    assert media.strip(original, media.MP3) == frames


def test_a_wav_keeps_only_its_format_and_sound():
    fmt = riff_chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16))
    data = riff_chunk(b"data", b"\x01\x00\x02\x00\x03")
    original = riff(b"WAVE", fmt, riff_chunk(b"LIST", b"INFOICMT" + PLACE_TEXT), riff_chunk(b"bext", b"Cotonou"),
                    data)
    assert media.sniff(original) == media.WAV
    assert media.strip(original, media.WAV) == riff(b"WAVE", fmt, data)


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def test_an_m4a_keeps_every_offset_and_loses_its_location_and_tags():
    location = box(b"\xa9xyz", b"\x00\x12\x15\xc7" + PLACE_TEXT)
    udta = box(b"udta", location + box(b"loci", b"\0" * 4 + b"Natitingou"))
    meta = box(b"meta", b"\0\0\0\0" + box(b"ilst", box(b"\xa9nam", b"Entretien Awa")))
    trak = box(b"trak", box(b"tkhd", b"\0" * 84) + box(b"udta", box(b"name", b"Awa")))
    moov = box(b"moov", box(b"mvhd", b"\0" * 100) + trak + udta + meta)
    original = box(b"ftyp", b"M4A \0\0\0\0M4A mp42isom") + moov + box(b"mdat", b"\x21\x10" * 50)
    assert media.sniff(original) == media.MP4
    stripped = media.strip(original, media.MP4)
    assert len(stripped) == len(original)
    assert stripped.endswith(box(b"mdat", b"\x21\x10" * 50)) and stripped.startswith(original[:original.index(b"trak")])
    for secret in (PLACE_TEXT, b"Natitingou", b"Awa", b"\xa9xyz", b"udta", b"ilst"):
        assert secret not in stripped, secret
    assert stripped.count(b"free") == 3


@pytest.mark.parametrize("data,expected", [
    (b"%PDF-1.7\n", media.PDF), (b"OggS\x00\x02", media.OGG), (b"#!AMR\n\x3c", media.AMR),
    (b"\x1a\x45\xdf\xa3\x9f", media.WEBM), (b"\0\0\0\x18ftyp3gp4\0\0\0\0", media.THREE_GP),
    (b"\0\0\0\x18ftypheic\0\0\0\0", None), (b"GIF89a\x01\x00", None), (b"MZ\x90\x00", None),
    (b"<svg xmlns=", None), (b"", None), (b"\xff", None)])
def test_the_type_is_read_from_the_bytes(data, expected):
    assert media.sniff(data) == expected


def test_types_stored_as_sent_are_unchanged():
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"
    assert media.strip(pdf, media.PDF) == pdf
