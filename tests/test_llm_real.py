"""Gemma 3 270M (embedded GGUF) via llama-cpp-python: streaming, stop, grammar, prefix cache."""

from __future__ import annotations

import threading

import jsonschema
import pytest

from interviewer.engines.llama_llm import grammar_schema
from interviewer.types import ChatMessage

pytestmark = pytest.mark.real

FOLLOW_UP_SCHEMA = {
    "type": "object",
    "properties": {
        "follow_up": {"type": "string", "minLength": 5, "maxLength": 120},
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
        "covered": {"type": "array", "items": {"type": "string", "maxLength": 30}, "maxItems": 3},
    },
    "required": ["follow_up", "score", "covered"],
    "additionalProperties": False,
}


def test_streams_several_pieces(real_llm) -> None:  # type: ignore[no-untyped-def]
    pieces = list(real_llm.stream("My favourite programming language is", max_tokens=16))
    assert len(pieces) >= 3
    text = "".join(pieces)
    assert text.strip()
    assert real_llm.last_result.text == text
    assert real_llm.last_result.completion_tokens >= len(pieces)


def test_deterministic_at_temperature_zero(real_llm) -> None:  # type: ignore[no-untyped-def]
    prompt = "The three most common SQL joins are"
    a = "".join(real_llm.stream(prompt, max_tokens=12, seed=1))
    b = "".join(real_llm.stream(prompt, max_tokens=12, seed=2))
    assert a == b


def test_stop_event_ends_generation(real_llm) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    got = []
    for piece in real_llm.stream("Once upon a time", max_tokens=200, stop_event=stop):
        got.append(piece)
        if len(got) == 3:
            stop.set()
    assert len(got) == 3
    assert real_llm.last_result.stopped is True
    assert real_llm.last_result.completion_tokens < 200


def test_stop_event_set_before_start(real_llm) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    stop.set()
    assert list(real_llm.stream("Hello", max_tokens=50, stop_event=stop)) == []
    assert real_llm.last_result.stopped is True


def test_stop_strings_cut_the_text(real_llm) -> None:  # type: ignore[no-untyped-def]
    text = "".join(real_llm.stream("1, 2, 3, 4, 5,", max_tokens=30, stop=[" 8"]))
    assert " 8" not in text


def test_chat_messages_do_not_echo_turn_markers(real_llm) -> None:  # type: ignore[no-untyped-def]
    msgs = [
        ChatMessage("system", "You are a friendly interviewer."),
        ChatMessage("user", "Please ask me one question about teamwork."),
    ]
    text = "".join(real_llm.stream(msgs, max_tokens=40))
    assert "\nUser:" not in text and "\nAssistant:" not in text


ANSWERS = [
    "I led the migration to Postgres and cut costs by 30%.",
    "We had a conflict about deadlines, so I set up a weekly sync with the other team.",
    "Precision is the share of predicted positives that are right; recall is the share found.",
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_json_under_grammar_is_schema_valid(real_llm, answer: str) -> None:  # type: ignore[no-untyped-def]
    prompt = (
        f"Interview answer: '{answer}'\n"
        "Return JSON with a follow-up question, a 1-5 score and covered topics.\nJSON: "
    )
    value = real_llm.complete_json(prompt, FOLLOW_UP_SCHEMA, max_tokens=200)
    jsonschema.validate(value, FOLLOW_UP_SCHEMA)
    assert 1 <= value["score"] <= 5


def test_json_cut_short_is_a_model_error(real_llm) -> None:  # type: ignore[no-untyped-def]
    from interviewer.errors import ModelError

    with pytest.raises(ModelError, match="not complete JSON"):
        real_llm.complete_json("JSON: ", FOLLOW_UP_SCHEMA, max_tokens=3)


def test_prefix_cache_reused_across_calls(real_llm) -> None:  # type: ignore[no-untyped-def]
    prefix = (
        "You are interviewing a candidate for a data scientist role. Ask short, specific follow-up "
        "questions about their last answer.\nAnswer: "
    )
    list(real_llm.stream(prefix + "I built a churn model.", max_tokens=4))
    first = real_llm.last_result
    list(real_llm.stream(prefix + "I ran an A/B test on pricing.", max_tokens=4))
    second = real_llm.last_result
    shared = len(real_llm.tokens_for(prefix)[0])
    # Everything up to the differing answer is served from the KV cache of the first call.
    assert second.reused_prompt_tokens >= shared - 2
    assert second.reused_prompt_tokens < second.prompt_tokens
    assert first.prompt_tokens > 0


def test_context_overflow_is_a_clear_error(real_llm) -> None:  # type: ignore[no-untyped-def]
    from interviewer.errors import ModelError

    with pytest.raises(ModelError, match="context"):
        list(real_llm.stream("word " * 3000, max_tokens=10))


def test_grammar_schema_turns_small_int_ranges_into_enums() -> None:
    out = grammar_schema(FOLLOW_UP_SCHEMA)
    assert out["properties"]["score"] == {"enum": [1, 2, 3, 4, 5]}
    props = FOLLOW_UP_SCHEMA["properties"]
    assert isinstance(props, dict) and out["properties"]["follow_up"] == props["follow_up"]


_NOTE_SCHEMA = {
    "type": "object",
    "properties": {"note": {"type": "string", "maxLength": 400}, "score": {"type": "integer"}},
    "required": ["note", "score"],
}
_NOTE_PROMPT = "Write a long note about the history of databases as JSON.\n"


def test_background_json_is_the_same_whatever_ran_before(real_llm) -> None:  # type: ignore[no-untyped-def]
    first = real_llm.complete_json_background(_NOTE_PROMPT, _NOTE_SCHEMA, max_tokens=60)
    # the context now holds the same prompt: a cached prefix must not change the result
    again = real_llm.complete_json_background(_NOTE_PROMPT, _NOTE_SCHEMA, max_tokens=60)
    "".join(real_llm.stream("Write a long note about cats", max_tokens=4))
    after_other = real_llm.complete_json_background(_NOTE_PROMPT, _NOTE_SCHEMA, max_tokens=60)
    assert first == again == after_other


def test_background_json_gives_way_to_a_reply(real_llm) -> None:  # type: ignore[no-untyped-def]
    from interviewer.errors import LLMPreempted, ModelError

    outcome: list[object] = []

    def background() -> None:
        try:
            outcome.append(
                real_llm.complete_json_background(_NOTE_PROMPT, _NOTE_SCHEMA, max_tokens=300)
            )
        except ModelError as exc:
            outcome.append(exc)

    th = threading.Thread(target=background)
    th.start()
    while not real_llm._lock.locked():  # the background call holds the model
        th.join(0.005)
    reply = "".join(real_llm.stream("The capital of France is", max_tokens=4))
    th.join(30)
    assert reply.strip()
    assert len(outcome) == 1 and isinstance(outcome[0], LLMPreempted)


def test_background_json_cancelled_and_reply_cancelled_while_waiting(real_llm) -> None:  # type: ignore[no-untyped-def]
    from interviewer.errors import LLMPreempted

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LLMPreempted):
        real_llm.complete_json_background(_NOTE_PROMPT, _NOTE_SCHEMA, cancel=cancel)
    # a reply waiting for a busy model gives up when its stop event is set
    stop = threading.Event()
    real_llm._lock.acquire()
    try:
        th = threading.Thread(target=lambda: list(real_llm.stream("Hi", stop_event=stop)))
        th.start()
        stop.set()
        th.join(5)
        assert not th.is_alive()
    finally:
        real_llm._lock.release()
    assert real_llm.last_result.stopped is True


def test_background_json_waits_while_speech_is_recognised(real_llm) -> None:  # type: ignore[no-untyped-def]
    from interviewer.engines import activity

    done = threading.Event()

    def background() -> None:
        from interviewer.errors import ModelError

        try:
            real_llm.complete_json_background(_NOTE_PROMPT, _NOTE_SCHEMA, max_tokens=20)
        except ModelError:
            pass  # 20 tokens may cut the JSON short; the call ran, which is what is tested
        finally:
            done.set()

    with activity.foreground():  # an STT call in flight
        th = threading.Thread(target=background)
        th.start()
        assert not done.wait(0.5)
        assert not real_llm._lock.locked()  # it has not even started the prompt
    th.join(60)
    assert done.is_set()


def test_background_prompt_gives_way_between_slices(real_llm) -> None:  # type: ignore[no-untyped-def]
    """A reply arriving while a long scoring prompt is being evaluated takes the model before
    that evaluation ends: the prompt goes in slices, with a check between them."""
    from interviewer.engines.llama_llm import PREFILL_SLICE
    from interviewer.errors import LLMPreempted, ModelError

    prompt = "Notes on databases, tables and indexes. " * 150 + _NOTE_PROMPT
    slices = -(-(len(real_llm.tokens_for(prompt)[0]) - 1) // PREFILL_SLICE)
    assert slices > 20
    evals: list[int] = []
    inner = real_llm._llm.eval

    def counting_eval(tokens):  # type: ignore[no-untyped-def]
        evals.append(len(tokens))
        return inner(tokens)

    outcome: list[object] = []

    def background() -> None:
        try:
            outcome.append(real_llm.complete_json_background(prompt, _NOTE_SCHEMA, max_tokens=20))
        except ModelError as exc:
            outcome.append(exc)

    real_llm._llm.eval = counting_eval
    try:
        th = threading.Thread(target=background)
        th.start()
        while len(evals) < 2 and th.is_alive():
            th.join(0.002)
        reply = "".join(real_llm.stream("The capital of France is", max_tokens=4))
        th.join(60)
    finally:
        del real_llm._llm.eval  # back to the class's method
    assert reply.strip()
    assert len(outcome) == 1 and isinstance(outcome[0], LLMPreempted)
    background_slices = [n for n in evals if n == PREFILL_SLICE]
    assert 2 <= len(background_slices) < slices
