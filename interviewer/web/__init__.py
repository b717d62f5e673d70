"""``interviewer serve``: the local web app (FastAPI + WebSocket audio)."""
