"""A recording's WAV (read back with the standard library's ``wave``), its duration in whole
seconds, its price and its media path."""

from __future__ import annotations

import io
import itertools
import wave
from array import array

import pytest

from telephonist.domain import audio
from telephonist.domain.recordings import media_path, price, whole_seconds


def read(data: bytes) -> tuple[tuple[int, int, int], float, bytes]:
    """(channels, sample width, rate), duration in seconds, and the samples of a WAV file."""
    with wave.open(io.BytesIO(data)) as w:
        params = (w.getnchannels(), w.getsampwidth(), w.getframerate())
        return params, w.getnframes() / w.getframerate(), w.readframes(w.getnframes())


@pytest.mark.parametrize(
    ("micros", "seconds"),
    [(125, 0.000125), (1_000_000, 1.0), (4_500_000, 4.5), (9_000_125, 9.000125)],
)
def test_the_wav_lasts_as_long_as_the_recording(micros: int, seconds: float) -> None:
    """8 kHz, 16-bit, mono PCM, as many samples as the audio lasts, across chunk boundaries."""
    data = b"".join(audio.wav_chunks(micros))
    params, duration, samples = read(data)
    assert params == (1, 2, 8000)
    assert duration == seconds
    assert len(samples) == micros * 8000 // 1_000_000 * 2
    assert len(data) == audio.wav_size(micros)


def test_a_dual_channel_recording_is_a_stereo_wav() -> None:
    """RecordingChannels=dual: one channel per party, interleaved frame by frame, as long as
    the mono file of the same recording (and not a mono file that says two channels)."""
    data = b"".join(audio.wav_chunks(4_500_000, channels=2))
    params, duration, samples = read(data)
    assert params == (2, 2, 8000) and duration == 4.5
    assert len(data) == audio.wav_size(4_500_000, channels=2)
    values = array("h", samples)
    assert (
        values[0::2] == values[1::2] == array("h", read(b"".join(audio.wav_chunks(4_500_000)))[2])
    )
    with pytest.raises(ValueError, match="1 or 2 channels"):
        audio.wav_size(1_000_000, channels=3)


def test_the_audio_is_a_soft_tone() -> None:
    """Not silence (a player plays something) and soft (well below full scale)."""
    _, _, samples = read(b"".join(audio.wav_chunks(1_000_000)))
    values = array("h", samples)
    assert 0 < max(abs(v) for v in values) <= 1000


def test_no_audio_is_a_valid_empty_wav() -> None:
    params, duration, samples = read(b"".join(audio.wav_chunks(0)))
    assert params == (1, 2, 8000) and duration == 0 and samples == b""


def test_an_hours_audio_is_built_as_it_is_read() -> None:
    """The header already says one hour; the samples come a few seconds at a time."""
    chunks = audio.wav_chunks(3_600_000_000)
    header, first = itertools.islice(chunks, 2)
    assert len(header) == audio.HEADER_BYTES
    with wave.open(io.BytesIO(header)) as w:
        assert w.getnframes() / w.getframerate() == 3600.0
    assert len(first) == audio.CHUNK_SECONDS * 8000 * 2
    assert audio.wav_size(3_600_000_000) == audio.HEADER_BYTES + 3600 * 8000 * 2


def test_audio_no_wav_can_hold_is_refused_before_any_byte() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        audio.wav_chunks(300 * 3600 * 1_000_000)
    with pytest.raises(ValueError):
        audio.wav_chunks(-1)


@pytest.mark.parametrize(
    ("micros", "seconds"), [(1, 1), (999_999, 1), (1_000_000, 1), (1_000_001, 2), (0, 0)]
)
def test_duration_counts_a_started_second(micros: int, seconds: int) -> None:
    assert whole_seconds(micros) == seconds


@pytest.mark.parametrize(
    ("micros", "cost"),
    [(1_000_000, "-0.00250"), (60_000_000, "-0.00250"), (60_000_001, "-0.00500"), (0, None)],
)
def test_price_per_started_minute(micros: int, cost: str | None) -> None:
    assert price(micros) == cost


def test_media_path_has_no_extension() -> None:
    assert media_path("AC1", "RE2") == "/2010-04-01/Accounts/AC1/Recordings/RE2"
