"""The question bank: the shipped content, the loader's error messages, filter, import and add."""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from interviewer.errors import ConfigError
from interviewer.interview.bank import (
    DEFAULT_BANK_DIR,
    DIFFICULTY_BY_LEVEL,
    KNOWN_ROLES,
    Bank,
    Question,
    add_question,
    import_bank_file,
    load_bank,
    validate_bank_files,
)

STAR = {"situation_task", "actions", "result_impact", "reflection"}

# One valid question and one valid company, used to build small bank files in tmp_path.
GOOD_COMPANY = """\
companies:
  - id: acme
    name: Acme Analytics
    values: [Be kind]
    interview_style: Friendly.
    emphasis: [statistics]
    facts:
      - {topic: size, answer: About 50 people.}
"""


def question_yaml(qid: str, **overrides: str) -> str:
    """A valid technical question as a YAML list item, with fields replaced by ``overrides``."""
    fields = {
        "id": qid,
        "text": "What is a p-value?",
        "type": "technical",
        "competency": "statistics",
        "roles": "[data_scientist]",
        "levels": "[junior, mid]",
        "difficulty": "2",
        "follow_ups": "[Why, What else]",
        "rubric": (
            "\n      criteria:\n        - name: correctness\n          description: Right.\n"
            "          anchors: {1: Wrong., 3: Partly., 5: Fully.}"
        ),
        "key_points": "[Probability of data at least as extreme under the null]",
    }
    fields.update(overrides)
    lines = [f"  - id: {fields.pop('id')}"]
    lines += [f"    {key}: {value}" for key, value in fields.items() if value != "<drop>"]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, marker: str) -> int:
    """1-based line of the only line containing ``marker``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(hits) == 1, (marker, hits)
    return hits[0]


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank()


# --- the shipped bank ----------------------------------------------------------------------------


def test_shipped_bank_validates() -> None:
    assert validate_bank_files() == []


def test_shipped_bank_counts(bank: Bank) -> None:
    by_file: collections.Counter[tuple[str, str]] = collections.Counter()
    for q in bank:
        source = bank.source(q.id)
        assert source is not None
        by_file[(source.path.name, q.type)] += 1
    assert by_file[("behavioral.yaml", "behavioral")] >= 40
    assert by_file[("data_science.yaml", "technical")] >= 60
    for name in ("software_engineering.yaml", "ml_engineering.yaml", "product_management.yaml"):
        total = by_file[(name, "technical")] + by_file[(name, "behavioral")]
        assert total >= 25, name
        # "a mix of technical and role-specific behavioural"
        assert by_file[(name, "technical")] >= 15, name
        assert by_file[(name, "behavioral")] >= 3, name
    assert len(bank.companies) >= 10


def test_shipped_bank_counts_by_role(bank: Bank) -> None:
    assert len(bank.filter(role="data_scientist", type="technical")) >= 60
    for role in ("software_engineer", "ml_engineer", "product_manager"):
        assert len(bank.filter(role=role)) >= 25 + 40, role  # own file plus shared behavioural
    assert len(bank.filter(type="behavioral")) >= 40
    behavioral_competencies = {q.competency for q in bank.filter(type="behavioral")}
    assert len(behavioral_competencies) >= 12


def test_shipped_ids_are_unique_across_files() -> None:
    # Read the raw YAML so this does not depend on the loader's own duplicate check.
    ids: list[str] = []
    for path in sorted(DEFAULT_BANK_DIR.glob("*.yaml")):
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        ids += [item["id"] for item in data.get("questions", []) + data.get("companies", [])]
    duplicates = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert duplicates == []


def test_shipped_questions_are_complete(bank: Bank) -> None:
    for q in bank:
        assert len(q.follow_ups) >= 2, q.id
        assert q.rubric.criteria, q.id
        for criterion in q.rubric.criteria:
            assert sorted(criterion.anchors) == [1, 3, 5], q.id
        if q.type == "technical":
            assert len(q.key_points) >= 3, q.id
        else:
            assert {c.name for c in q.rubric.criteria} >= STAR, q.id
        # the known roles, plus those a bank file declares (``roles: [general]``)
        assert set(q.roles) <= bank.roles, q.id
    assert bank.roles - KNOWN_ROLES == {"general"}


def test_shipped_levels_match_difficulty(bank: Bank) -> None:
    for q in bank:
        for level in q.levels:
            low, high = DIFFICULTY_BY_LEVEL[level]
            assert low <= q.difficulty <= high, (q.id, level, q.difficulty)
        if {"intern", "junior"} & set(q.levels):
            assert q.difficulty <= 3, q.id
        if "staff" in q.levels:
            assert q.difficulty >= 3, q.id


def test_shipped_companies_are_consistent(bank: Bank) -> None:
    competencies = {q.competency for q in bank}
    for company in bank.companies:
        assert company.facts and company.values, company.id
        unknown = set(company.emphasis) - competencies
        assert not unknown, (company.id, unknown)
    referenced = {c for q in bank for c in q.companies}
    assert referenced, "some questions should be company-specific"
    assert referenced <= {c.id for c in bank.companies}


# --- error messages: file, line and field ---------------------------------------------------------


def _error(paths: list[Path]) -> str:
    with pytest.raises(ConfigError) as info:
        load_bank(paths)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_field_names_file_line_and_field(tmp_path: Path) -> None:
    good = question_yaml("q.ok")
    bad = question_yaml(
        "q.bad",
        rubric=(
            "\n      criteria:\n        - name: correctness  # criterion without anchors\n"
            "          description: Right."
        ),
    )
    text = GOOD_COMPANY + "questions:\n" + good + bad
    write(tmp_path / "bank" / "ds.yaml", text)
    message = _error([tmp_path / "bank"])
    line = line_of(text, "criterion without anchors")
    assert f"ds.yaml:{line}: questions[1].rubric.criteria[0].anchors: field required" in message


@pytest.mark.parametrize(
    ("override", "marker", "field", "words"),
    [
        ({"difficulty": "hard  # MARK"}, "# MARK", "questions[0].difficulty", "integer"),
        ({"levels": "[junior, principal]  # MARK"}, "# MARK", "questions[0].levels[1]", "intern"),
        ({"roles": "[data_scientst]  # MARK"}, "# MARK", "questions[0].roles[0]", "data_scientist"),
        ({"type": "trivia  # MARK"}, "# MARK", "questions[0].type", "behavioral"),
        ({"difficulty": "5  # MARK"}, "# MARK", "questions[0].difficulty", "junior"),
        ({"follow_ups": "[Only one]  # MARK"}, "# MARK", "questions[0].follow_ups", "at least 2"),
        ({"key_points": "[]  # MARK"}, "# MARK", "questions[0].key_points", "key point"),
        ({"follow_up": "[typo]  # MARK"}, "# MARK", "questions[0].follow_up", "not permitted"),
        ({"topics": "[one, two]  # MARK"}, "# MARK", "questions[0].topics", "one topic per key"),
        ({"id": "Bad Id  # MARK"}, "# MARK", "questions[0].id", "pattern"),
    ],
)
def test_wrong_values_name_file_line_and_field(
    tmp_path: Path, override: dict[str, str], marker: str, field: str, words: str
) -> None:
    qid = override.pop("id", "q.one")
    text = "questions:\n" + question_yaml(qid, **override)
    write(tmp_path / "broken.yaml", text)
    message = _error([tmp_path / "broken.yaml"])
    assert f"broken.yaml:{line_of(text, marker)}: {field}: " in message, message
    assert words in message


def test_missing_key_points_on_technical_question(tmp_path: Path) -> None:
    text = "questions:\n" + question_yaml("q.one", key_points="<drop>")
    write(tmp_path / "b.yaml", text)
    message = _error([tmp_path / "b.yaml"])
    # A missing field points at the question that lacks it.
    assert f"b.yaml:{line_of(text, 'id: q.one')}: questions[0].key_points:" in message


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "questions:\n" + question_yaml("q.same"))
    text = "questions:\n" + question_yaml("q.other") + question_yaml("q.same")
    write(tmp_path / "b.yaml", text)
    message = _error([tmp_path])
    assert f"b.yaml:{line_of(text, 'id: q.same')}: questions[1].id: duplicate" in message
    assert "a.yaml:2" in message  # where it was first defined


def test_unknown_company(tmp_path: Path) -> None:
    write(tmp_path / "companies.yaml", GOOD_COMPANY)
    text = "questions:\n" + question_yaml("q.one", companies="[acme, acmee]  # MARK")
    write(tmp_path / "q.yaml", text)
    message = _error([tmp_path])
    assert (
        f"q.yaml:{line_of(text, '# MARK')}: questions[0].companies[1]: unknown company" in message
    )
    assert "did you mean acme" in message


def test_several_errors_report_first_and_count(tmp_path: Path) -> None:
    text = "questions:\n" + question_yaml("q.one", difficulty="hard", type="trivia  # MARK")
    write(tmp_path / "x.yaml", text)
    message = _error([tmp_path])
    assert f"x.yaml:{line_of(text, '# MARK')}: questions[0].type: " in message
    assert message.endswith("(and 1 more)")
    assert len(validate_bank_files([tmp_path])) == 2


def test_yaml_syntax_error_and_duplicate_key(tmp_path: Path) -> None:
    write(tmp_path / "bad.yaml", "questions:\n  - id: [unclosed\n    text: x\n")
    message = _error([tmp_path / "bad.yaml"])
    assert re.search(r"bad\.yaml:[23]: invalid YAML: ", message), message
    text = "questions:\n" + question_yaml("q.one") + "    text: Again  # MARK\n"
    write(tmp_path / "dup.yaml", text)
    message = _error([tmp_path / "dup.yaml"])
    assert f"dup.yaml:{line_of(text, '# MARK')}: questions[0].text: duplicate key" in message


def test_top_level_must_be_mapping_and_known_keys(tmp_path: Path) -> None:
    write(tmp_path / "list.yaml", "- just\n- a list\n")
    assert "list.yaml:1: top level must be a mapping" in _error([tmp_path / "list.yaml"])
    write(tmp_path / "typo.yaml", "question:\n" + question_yaml("q.one"))
    assert "typo.yaml:1: question: extra inputs are not permitted" in _error(
        [tmp_path / "typo.yaml"]
    )


def test_declared_roles_extend_known_roles(tmp_path: Path) -> None:
    write(tmp_path / "roles.yaml", "roles: [data_engineer]\n")
    write(tmp_path / "q.yaml", "questions:\n" + question_yaml("q.one", roles="[data_engineer]"))
    bank = load_bank([tmp_path])
    assert bank.get("q.one").roles == ["data_engineer"]
    assert "data_engineer" in bank.roles
    assert [q.id for q in bank.filter(role="data_engineer")] == ["q.one"]


def test_missing_bank_dir(tmp_path: Path) -> None:
    assert "no such file or directory" in _error([tmp_path / "nope"])


def test_empty_file_is_an_empty_bank(tmp_path: Path) -> None:
    write(tmp_path / "empty.yaml", "# nothing yet\n")
    write(tmp_path / "started.yaml", "questions:\n")
    assert len(load_bank([tmp_path])) == 0


# --- Bank.get / filter ---------------------------------------------------------------------------


def test_get_and_source(bank: Bank) -> None:
    q = bank.get("ds.stats.p_value")
    assert q.type == "technical"
    source = bank.source("ds.stats.p_value")
    assert source is not None and source.path.name == "data_science.yaml"
    assert "id: ds.stats.p_value" in source.path.read_text().splitlines()[source.line - 1]
    with pytest.raises(ConfigError, match=r"did you mean ds\.stats\.p_value"):
        bank.get("ds.stats.pvalue")
    assert bank.company("quillpay").name == "Quillpay"


def test_filter_returns_only_matching(bank: Bank) -> None:
    found = bank.filter(role="ml_engineer", level="senior", type="technical")
    assert found
    for q in found:
        assert "ml_engineer" in q.roles and "senior" in q.levels and q.type == "technical"
    ids = {q.id for q in found}
    assert ids == {
        q.id
        for q in bank
        if "ml_engineer" in q.roles and "senior" in q.levels and q.type == "technical"
    }
    assert all(q.competency == "sql" for q in bank.filter(competency="sql"))


def test_filter_by_company(bank: Bank) -> None:
    for_fernleaf = bank.filter(company="fernleaf_health")
    assert any(q.companies == ["fernleaf_health"] for q in for_fernleaf)
    assert all(not q.companies or "fernleaf_health" in q.companies for q in for_fernleaf)
    # Questions written for another company never leak into this one's interview.
    assert "ds.product.fraud_rules_to_model" not in {q.id for q in for_fernleaf}
    only = bank.filter(company="fernleaf_health", include_generic=False)
    assert only and all("fernleaf_health" in q.companies for q in only)


@pytest.mark.parametrize(
    "kwargs",
    [{"role": "astronaut"}, {"level": "principal"}, {"type": "trivia"}, {"company": "nope"}],
)
def test_filter_rejects_unknown_values(bank: Bank, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="unknown"):
        bank.filter(**kwargs)


# --- import_bank_file ---------------------------------------------------------------------------


def test_import_good_file(tmp_path: Path) -> None:
    src = write(tmp_path / "in" / "mine.yaml", "# mine\nquestions:\n" + question_yaml("my.q1"))
    dest_dir = tmp_path / "user_bank"
    dest = import_bank_file(src, dest_dir)
    assert dest == dest_dir / "mine.yaml"
    assert dest.read_text() == src.read_text()  # copied byte for byte, comments kept
    bank = load_bank([DEFAULT_BANK_DIR, dest_dir])
    assert bank.get("my.q1").text == "What is a p-value?"


def test_import_clashing_file_fails(tmp_path: Path) -> None:
    text = "questions:\n" + question_yaml("my.q1") + question_yaml("ds.stats.p_value")
    src = write(tmp_path / "clash.yaml", text)
    dest_dir = tmp_path / "user_bank"
    with pytest.raises(ConfigError) as info:
        import_bank_file(src, dest_dir)
    message = str(info.value)
    assert f"clash.yaml:{line_of(text, 'id: ds.stats.p_value')}: questions[1].id" in message
    assert "duplicate question id 'ds.stats.p_value'" in message
    assert "data_science.yaml" in message
    assert not (dest_dir / "clash.yaml").exists()


def test_import_checks_existing_dest_and_file_itself(tmp_path: Path) -> None:
    dest_dir = tmp_path / "user_bank"
    write(dest_dir / "old.yaml", "questions:\n" + question_yaml("my.q1"))
    src = write(tmp_path / "new.yaml", "questions:\n" + question_yaml("my.q1"))
    with pytest.raises(ConfigError, match=r"duplicate question id 'my\.q1'"):
        import_bank_file(src, dest_dir)
    same_name = write(tmp_path / "old.yaml", "questions:\n" + question_yaml("my.q2"))
    with pytest.raises(ConfigError, match="already exists"):
        import_bank_file(same_name, dest_dir)
    broken = write(tmp_path / "broken.yaml", "questions:\n" + question_yaml("x", difficulty="9"))
    with pytest.raises(ConfigError, match=r"broken\.yaml:\d+: questions\[0\]\.difficulty"):
        import_bank_file(broken, dest_dir)
    with pytest.raises(ConfigError, match=r"\.yaml or \.yml"):
        import_bank_file(write(tmp_path / "q.txt", "questions: []\n"), dest_dir)
    with pytest.raises(ConfigError, match="no questions or companies"):
        import_bank_file(write(tmp_path / "blank.yaml", "questions: []\n"), dest_dir)


def test_every_shipped_key_point_has_a_topic(bank: Bank) -> None:
    # Follow-ups name a missing key point by its topic ("And what about effect size?"), so
    # every shipped key point has one: a short noun phrase written by hand, not cut from the
    # key point by a word list.
    for q in bank:
        assert len(q.topics) == len(q.key_points), q.id
        assert len(set(q.topics)) == len(q.topics), q.id
        for topic, point in zip(q.topics, q.key_points, strict=True):
            assert topic.lower() != point.lower(), (q.id, topic)
            assert 2 <= len(topic.split()) <= 6, (q.id, topic)
            assert not topic.endswith((".", "?", "!", ",", ";", ":")), (q.id, topic)


def test_questions_without_topics_still_load_and_probe_as_before(tmp_path: Path) -> None:
    # The user's own questions (``bank add``, ``bank import``) need no topics: follow-ups on
    # them fall back to the question's own follow-ups instead of naming a key point.
    from interviewer.interview.probes import plan_probes

    path = write(tmp_path / "mine.yaml", "questions:\n" + question_yaml("my.q1"))
    mine = load_bank([DEFAULT_BANK_DIR, path])
    question = mine.get("my.q1")
    assert question.topics == []
    probes = plan_probes(question, "It is about how surprising the data are.")
    assert all(p.kind != "key_point" for p in probes)
    dest = tmp_path / "added.yaml"
    add_question(question.model_copy(update={"id": "my.q2"}), dest, existing=[])
    assert load_bank([dest]).get("my.q2").topics == []


def test_topics_must_match_the_key_points(tmp_path: Path) -> None:
    text = "questions:\n" + question_yaml("q.one", topics="[one topic, another topic]")
    write(tmp_path / "b.yaml", text)
    assert "needs one topic per key point (1), got 2" in _error([tmp_path / "b.yaml"])


# --- add_question --------------------------------------------------------------------------------


def test_add_question_round_trips(bank: Bank, tmp_path: Path) -> None:
    original = bank.get("ds.exp.cuped")
    new = original.model_copy(update={"id": "my.cuped", "evaluation_notes": "Ours: strict."})
    dest = tmp_path / "user" / "mine.yaml"
    add_question(new, dest)  # creates the file
    add_question(bank.get("beh.conflict.teammate").model_copy(update={"id": "my.conflict"}), dest)
    loaded = load_bank([DEFAULT_BANK_DIR, dest])
    assert loaded.get("my.cuped") == new
    assert loaded.get("my.conflict").competency == "conflict"


def test_add_question_keeps_comments_and_rejects_clash(bank: Bank, tmp_path: Path) -> None:
    text = (
        "# my questions\n"
        "questions:\n" + question_yaml("my.q1") + "\n# about companies\n" + GOOD_COMPANY
    )
    dest = write(tmp_path / "mine.yaml", text)
    added = bank.get("ds.sql.nulls").model_copy(update={"id": "my.nulls", "companies": ["acme"]})
    add_question(added, dest, existing=[])
    after = dest.read_text()
    assert after.startswith("# my questions\n")
    assert after.index("my.nulls") < after.index("# about companies")
    loaded = load_bank([dest])
    assert [q.id for q in loaded] == ["my.q1", "my.nulls"]
    assert loaded.get("my.nulls") == added

    with pytest.raises(ConfigError, match=r"duplicate question id 'my\.q1'"):
        add_question(added.model_copy(update={"id": "my.q1"}), dest, existing=[])
    with pytest.raises(ConfigError, match="unknown company 'nope'"):
        add_question(added.model_copy(update={"id": "my.q3", "companies": ["nope"]}), dest)
    assert dest.read_text() == after  # failed adds leave the file untouched


def test_add_question_validates_the_question(tmp_path: Path) -> None:
    q = Question.model_validate(
        yaml.safe_load("questions:\n" + question_yaml("my.q"))["questions"][0]
    )
    # model_copy skips validation, as a caller building a Question by hand might.
    invalid = q.model_copy(update={"difficulty": 5})  # no longer suits junior
    with pytest.raises(ConfigError, match="difficulty"):
        add_question(invalid, tmp_path / "new.yaml", existing=[])
    assert not (tmp_path / "new.yaml").exists()


def test_add_question_to_flow_style_list(bank: Bank, tmp_path: Path) -> None:
    dest = write(tmp_path / "flow.yaml", "questions: []\n")
    add_question(bank.get("ds.stats.clt").model_copy(update={"id": "my.clt"}), dest, existing=[])
    assert [q.id for q in load_bank([dest])] == ["my.clt"]


def test_question_yaml_helper_is_valid(tmp_path: Path) -> None:
    # Guards the helper the error tests rely on: without overrides it must load cleanly.
    write(tmp_path / "ok.yaml", GOOD_COMPANY + "questions:\n" + question_yaml("q.one"))
    assert validate_bank_files([tmp_path]) == []


def test_add_question_leaves_a_shipped_file_as_written(bank: Bank, tmp_path: Path) -> None:
    # A real hand-written file (anchors, aliases, comments, long lines, "  - " indentation): the
    # round-trip edit only adds the new question's lines; every original line stays as it was.
    original = (DEFAULT_BANK_DIR / "behavioral.yaml").read_text(encoding="utf-8")
    dest = write(tmp_path / "behavioral.yaml", original)
    added = bank.get("ds.stats.clt").model_copy(update={"id": "my.clt"})
    add_question(added, dest, existing=[DEFAULT_BANK_DIR / "companies.yaml"])
    after = dest.read_text(encoding="utf-8")
    assert after.startswith(original)
    assert after[len(original) :].startswith("  - id: my.clt\n")
    assert load_bank([DEFAULT_BANK_DIR / "companies.yaml", dest]).get("my.clt") == added
