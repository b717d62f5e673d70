"""``interviewer bench``: per-stage latency, voice-to-voice, WER and concurrency benchmarks."""
