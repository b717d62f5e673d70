"""InterviewSpec: parsing, normalisation, validation messages, documents, merging."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.errors import ConfigError
from interviewer.interview.spec import MAX_DOCUMENT_BYTES, InterviewSpec, load_document


def make_pdf(path: Path, text: str | None) -> Path:
    """A one-page PDF with ``text`` in Helvetica (or no text at all), built with pypdf."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    if text is not None:
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


# --------------------------------------------------------------------------- values


def test_defaults_and_friendly_names() -> None:
    spec = InterviewSpec(role="Data Scientist")
    assert spec.role == "data_scientist"
    assert (spec.level, spec.type, spec.max_follow_ups) == ("mid", "mixed", 1)
    assert spec.questions is None and spec.minutes is None and spec.seed is None
    assert InterviewSpec(role="ML Engineer").role == "ml_engineer"
    assert InterviewSpec(role="swe").role == "software_engineer"
    assert InterviewSpec(role="pm", level="Senior", type="Behavioural").type == "behavioral"
    assert InterviewSpec(role="data-scientist", level="SENIOR").level == "senior"


def test_role_title_reads_naturally() -> None:
    assert InterviewSpec(role="ml_engineer").role_title == "ML engineer"
    assert InterviewSpec(role="data_scientist").role_title == "data scientist"


def test_bad_level_lists_allowed_values() -> None:
    with pytest.raises(ConfigError) as err:
        InterviewSpec.from_mapping({"role": "data_scientist", "level": "principal engineer"})
    message = str(err.value)
    assert message.startswith("level:")
    assert "intern, junior, mid, senior, staff" in message


def test_typo_in_level_gets_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"did you mean senior\?"):
        InterviewSpec(role="data_scientist", level="senoir")


def test_bad_type_lists_allowed_values() -> None:
    with pytest.raises(ConfigError, match=r"type: .*behavioral, technical, mixed"):
        InterviewSpec(role="data_scientist", type="trivia")


def test_a_position_with_no_bank_gets_a_behavioral_interview_and_says_so() -> None:
    """Never an error: "Marketing Analyst" has no technical bank, so it is interviewed on the
    general behavioural questions, and the spec's notes say why."""
    spec = InterviewSpec.from_mapping({"role": "Senior Marketing Analyst"})
    assert (spec.role, spec.level, spec.type) == ("general", "senior", "behavioral")
    assert spec.notes is not None and "behavioural interview" in spec.notes


def test_a_missing_role_lists_roles() -> None:
    with pytest.raises(ConfigError) as err:
        InterviewSpec.from_mapping({"level": "mid"})
    assert "role:" in str(err.value)
    assert "data_scientist" in str(err.value) and "product_manager" in str(err.value)


def test_role_declared_by_a_bank_is_accepted() -> None:
    spec = InterviewSpec.from_mapping({"role": "Data Engineer"}, roles={"data_engineer"})
    assert spec.role == "data_engineer"


def test_missing_role_is_an_error() -> None:
    with pytest.raises(ConfigError, match="role: required"):
        InterviewSpec.from_mapping({"level": "mid"})


def test_unknown_field_gets_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"unknown field 'levle' \(did you mean level\?\)"):
        InterviewSpec.from_mapping({"role": "data_scientist", "levle": "mid"})


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("questions", 0, "questions: 0 is out of range; use 1 to 20"),
        ("questions", "three", "questions: expected a whole number"),
        ("questions", True, "questions: expected a whole number"),
        ("minutes", -5, "minutes: -5 is out of range"),
        ("max_follow_ups", 9, "max_follow_ups: 9 is out of range; use 0 to 3"),
        ("seed", "abc", "seed: expected a whole number"),
        ("company", 12, "company: expected text"),
    ],
)
def test_numbers_and_text_are_checked(field: str, value: object, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        InterviewSpec.from_mapping({"role": "data_scientist", field: value})


def test_blank_text_becomes_none() -> None:
    spec = InterviewSpec(role="data_scientist", company="  ", notes="")
    assert spec.company is None and spec.notes is None


def test_derived_seed_is_stable_and_follows_the_spec() -> None:
    a = InterviewSpec(role="data_scientist", company="quillpay")
    b = InterviewSpec(role="data_scientist", company="quillpay")
    c = InterviewSpec(role="data_scientist", company="marketvale")
    assert a.derived_seed() == b.derived_seed() != c.derived_seed()
    assert InterviewSpec(role="data_scientist", seed=7).derived_seed() == 7


# --------------------------------------------------------------------------- files


def test_from_toml_reads_documents_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "jd.md").write_text("# Data Scientist\n\nSQL and experiments.\n", encoding="utf-8")
    make_pdf(tmp_path / "cv.pdf", "Jane Doe - churn models at Acme")
    (tmp_path / "spec.toml").write_text(
        'role = "Data Scientist"\ncompany = "Quillpay"\nlevel = "senior"\ntype = "technical"\n'
        'minutes = 20\nmax_follow_ups = 2\nseed = 5\nnotes = "focus on SQL"\n'
        'job_description_file = "jd.md"\nresume_file = "cv.pdf"\n',
        encoding="utf-8",
    )
    spec = InterviewSpec.from_toml(tmp_path / "spec.toml")
    assert spec.role == "data_scientist" and spec.level == "senior" and spec.type == "technical"
    assert spec.minutes == 20.0 and spec.questions is None
    assert spec.max_follow_ups == 2 and spec.seed == 5 and spec.notes == "focus on SQL"
    assert spec.job_description == "# Data Scientist\n\nSQL and experiments."
    assert spec.resume is not None and "churn models at Acme" in spec.resume


def test_toml_interview_table_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[interview]\nrole = "pm"\nquestions = 2\n', encoding="utf-8")
    spec = InterviewSpec.from_toml(path)
    assert spec.role == "product_manager" and spec.questions == 2


def test_toml_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_text('role = "data_scientist"\nlevel = "guru"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"spec\.toml: level: 'guru' is not allowed"):
        InterviewSpec.from_toml(path)
    path.write_text("role = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"spec\.toml: invalid TOML"):
        InterviewSpec.from_toml(path)
    with pytest.raises(ConfigError, match=r"nope\.toml: no such file"):
        InterviewSpec.from_toml(tmp_path / "nope.toml")


def test_missing_resume_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_text('role = "data_scientist"\nresume_file = "missing.pdf"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"missing\.pdf: no such file"):
        InterviewSpec.from_toml(path)


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "resume.pdf", "Built a forecasting model in Python")
    assert "forecasting model in Python" in load_document(pdf)


def test_pdf_without_text_is_an_error(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "scan.pdf", None)
    with pytest.raises(ConfigError, match=r"scan\.pdf: file has no text \(a scanned PDF"):
        load_document(pdf)


def test_corrupt_pdf_is_an_error(tmp_path: Path) -> None:
    pdf = tmp_path / "broken.pdf"
    pdf.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    with pytest.raises(ConfigError, match=r"broken\.pdf: cannot read PDF"):
        load_document(pdf)


def test_oversized_document_is_an_error(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (MAX_DOCUMENT_BYTES + 1))
    with pytest.raises(ConfigError, match=r"big\.txt: file is 2\.0 MB; documents must be under"):
        load_document(big)


def test_empty_and_binary_text_files_are_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"empty\.md: file has no text$"):
        load_document(empty)
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\x00\x00")
    with pytest.raises(ConfigError, match=r"image\.txt: not a text file"):
        load_document(binary)


def test_unsupported_suffix_is_an_error(tmp_path: Path) -> None:
    doc = tmp_path / "resume.docx"
    doc.write_bytes(b"PK")
    with pytest.raises(ConfigError, match=r"resume\.docx: unsupported file type; use .txt, .md"):
        load_document(doc)


def test_text_and_file_for_the_same_document_conflict(tmp_path: Path) -> None:
    (tmp_path / "cv.txt").write_text("cv", encoding="utf-8")
    with pytest.raises(ConfigError, match="either resume or resume_file"):
        InterviewSpec.from_mapping(
            {"role": "data_scientist", "resume": "x", "resume_file": str(tmp_path / "cv.txt")}
        )


# --------------------------------------------------------------------------- merge and storage


def test_merged_flags_override_the_file() -> None:
    base = InterviewSpec(role="data_scientist", level="junior", questions=4, seed=1)
    merged = base.merged({"level": "senior", "company": None, "type": "technical"})
    assert (merged.level, merged.type, merged.questions, merged.seed) == (
        "senior",
        "technical",
        4,
        1,
    )
    assert base.merged({}) is base


def test_merged_minutes_replace_a_question_count() -> None:
    base = InterviewSpec(role="data_scientist", questions=4)
    timed = base.merged({"minutes": 15})
    assert timed.minutes == 15.0 and timed.questions is None
    counted = timed.merged({"questions": 2})
    assert counted.questions == 2 and counted.minutes is None


def test_merged_values_are_validated(tmp_path: Path) -> None:
    base = InterviewSpec(role="data_scientist")
    with pytest.raises(ConfigError, match="level:"):
        base.merged({"level": "wizard"})
    (tmp_path / "jd.txt").write_text("Analyst role", encoding="utf-8")
    assert base.merged({"job_description_file": tmp_path / "jd.txt"}).job_description == (
        "Analyst role"
    )


def test_to_dict_round_trips() -> None:
    spec = InterviewSpec(
        role="product_manager",
        company="Some Startup",
        level="staff",
        type="behavioral",
        resume="CV text",
        minutes=30,
        max_follow_ups=0,
        seed=3,
    )
    data = spec.to_dict()
    assert data["role"] == "product_manager" and data["minutes"] == 30.0
    assert InterviewSpec.from_mapping(data) == spec


def test_a_pdf_bomb_given_to_the_cli_is_refused_without_expanding_it(tmp_path: Path) -> None:
    """The CLI reads documents through the same bounded child process as the web app."""
    from tests.test_web_hardening import BOMB

    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(BOMB)
    with pytest.raises(ConfigError, match=r"bomb\.pdf: ") as err:
        load_document(bomb)
    assert len(str(err.value)) < 400  # one line that says why, not the text


@pytest.mark.parametrize("value", ["٣", "1_0", "３", " 2.0"])
def test_counts_take_ascii_digits_only(value: str) -> None:
    with pytest.raises(ConfigError, match="questions"):
        InterviewSpec.from_mapping({"role": "data_scientist", "questions": value})
    assert InterviewSpec.from_mapping({"role": "data_scientist", "questions": " 3"}).questions == 3
