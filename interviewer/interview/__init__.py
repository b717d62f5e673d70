"""The interview itself: question bank, question selection, follow-ups and scoring."""
