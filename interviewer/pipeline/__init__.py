"""The streaming voice pipeline: turn-taking, streaming STT, speaking, the runner."""
