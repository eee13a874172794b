"""Recorded audio as a real WAV file: 8 kHz, 16-bit PCM, mono or (a dual-channel recording)
stereo, built when it is asked for.

A simulated call carries no sound, so a recording's audio is a soft, steady tone of the
recording's length: a file any player opens and any WAV parser reads, with the duration the
resource reports. Nothing is stored; the file comes out in chunks of a few seconds, so a
one-hour recording costs its 58 MB only while it is sent, a few kilobytes at a time.
"""

from __future__ import annotations

import io
import itertools
import math
import sys
import wave
from array import array
from collections.abc import Iterator

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM
HEADER_BYTES = 44  # RIFF, fmt and data chunk headers of a PCM file, as ``wave`` writes them
CONTENT_TYPE = "audio/x-wav"

TONE_HZ = 400  # 20 samples a period at 8 kHz: any whole number of periods loops seamlessly
TONE_AMPLITUDE = 1000  # of 32767: about -30 dBFS, soft
CHUNK_SECONDS = 4
_MAX_DATA_BYTES = 2**32 - 1 - (HEADER_BYTES - 8)  # RIFF sizes are unsigned 32-bit


def _tone(frames: int) -> bytes:
    samples = array(
        "h",
        (
            round(TONE_AMPLITUDE * math.sin(2 * math.pi * TONE_HZ * n / SAMPLE_RATE))
            for n in range(frames)
        ),
    )
    if sys.byteorder == "big":
        samples.byteswap()  # WAV samples are little-endian
    return samples.tobytes()


def _interleaved(mono: bytes, channels: int) -> bytes:
    """The same samples on every channel, frame by frame, as PCM interleaves them."""
    if channels == 1:
        return mono
    out = bytearray()
    for n in range(0, len(mono), SAMPLE_WIDTH):
        out += mono[n : n + SAMPLE_WIDTH] * channels
    return bytes(out)


_MONO = _tone(CHUNK_SECONDS * SAMPLE_RATE)
# By channel count: a dual-channel recording (the two parties) has one channel each.
_CHUNKS = {1: _MONO, 2: _interleaved(_MONO, 2)}


def frames(micros: int) -> int:
    """How many samples ``micros`` of audio hold (a started sample is not one)."""
    if micros < 0:
        raise ValueError(f"audio cannot last {micros} microseconds")
    return micros * SAMPLE_RATE // 1_000_000


def _channels(channels: int) -> int:
    if channels not in _CHUNKS:
        raise ValueError(f"recordings have 1 or 2 channels, not {channels}")
    return channels


def wav_size(micros: int, channels: int = 1) -> int:
    """The length in bytes of :func:`wav_chunks`' file, known before any of it is built."""
    return HEADER_BYTES + frames(micros) * SAMPLE_WIDTH * _channels(channels)


def wav_header(frame_count: int, channels: int = 1) -> bytes:
    """The header of a PCM file of ``frame_count`` samples, written by :mod:`wave`."""
    if frame_count * SAMPLE_WIDTH * _channels(channels) > _MAX_DATA_BYTES:
        raise ValueError(f"{frame_count} samples do not fit in a WAV file")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(SAMPLE_RATE)
        writer.setnframes(frame_count)
        writer.writeframesraw(b"")  # writes the header, sized for the frames announced
        header = buffer.getvalue()
        # Closing rewrites the sizes for the frames actually given (none): that copy is dropped.
    return header


def wav_chunks(micros: int, channels: int = 1) -> Iterator[bytes]:
    """A WAV file of ``micros`` of soft tone on each of ``channels``: the header, then the
    samples a chunk at a time.

    Raises :class:`ValueError` at once (not once sending has begun) for audio no WAV can hold.
    """
    count = frames(micros)
    header = wav_header(count, channels)
    return itertools.chain((header,), _samples(count * SAMPLE_WIDTH * channels, channels))


def _samples(size: int, channels: int) -> Iterator[bytes]:
    whole = _CHUNKS[channels]
    while size > 0:
        chunk = whole if size >= len(whole) else whole[:size]
        size -= len(chunk)
        yield chunk
