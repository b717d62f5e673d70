"""What a job description asks for: the skills, tools and responsibilities it names, by rules.

:func:`extract_skills` reads a job description as a person skims one: phrases after "experience
with", "knowledge of" and the like, tool names it knows, and the bullet points of a
responsibilities list. Each finding keeps the description's own words, so that a question built
on it (:mod:`interviewer.interview.jd_questions`) can quote them. No model is involved: the
result is the same for the same text, which is what lets a saved interview find its questions
again on resume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "JobRequirements",
    "Responsibility",
    "Skill",
    "category_of",
    "extract_skills",
    "is_tool",
]

#: Areas of work a question template exists for, each with the words that place a skill in it.
#: The words are matched as whole words, case-insensitively, in the skill's own phrase.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "analytics": (
        "sql", "bigquery", "snowflake", "redshift", "looker", "looker studio", "tableau",
        "power bi", "qlik", "metabase", "dashboards", "dashboarding", "dashboard", "reporting",
        "data analysis", "data visualisation", "data visualization", "google analytics", "ga4",
        "analytics", "kpis", "kpi", "metrics", "python", "pandas", "statistics", "a/b testing",
        "experimentation", "a/b tests", "a/b test", "excel", "spreadsheets",
    ),
    "marketing": (
        "campaigns", "campaign", "seo", "sem", "ppc", "paid search", "paid social",
        "email marketing", "marketing automation", "hubspot", "marketo", "mailchimp",
        "google ads", "meta ads", "facebook ads", "attribution", "segmentation",
        "content marketing", "social media", "brand", "crm campaigns", "lifecycle marketing",
    ),
    "clinical": (
        "patient assessment", "patient assessments", "medication administration", "medications",
        "care plans", "care planning", "ehr", "emr", "epic", "cerner", "triage", "wound care",
        "infection control", "bls", "acls", "iv therapy", "discharge planning",
        "patient education", "vital signs", "clinical documentation", "patient care",
        "patients", "discharge", "nursing",
    ),
    "product": (
        "roadmap", "roadmaps", "roadmapping", "user research", "jira", "prioritisation",
        "prioritization", "requirements", "user stories", "agile", "scrum", "backlog",
        "discovery", "product strategy",
    ),
    "sales": (
        "salesforce", "pipeline management", "pipeline", "prospecting", "negotiation",
        "account management", "lead generation", "cold calling", "closing deals", "quota",
        "sales forecasting",
    ),
    "finance": (
        "financial modelling", "financial modeling", "budgeting", "forecasting",
        "reconciliation", "reconciliations", "variance analysis", "sap", "quickbooks", "xero",
        "ifrs", "gaap", "accounts payable", "accounts receivable", "month-end close",
    ),
    "design": (
        "figma", "sketch", "adobe creative suite", "photoshop", "illustrator", "indesign",
        "wireframes", "wireframing", "prototyping", "prototypes", "ux", "ui design",
        "usability testing", "design systems",
    ),
    "operations": (
        "project management", "scheduling", "vendor management", "logistics", "inventory",
        "supply chain", "procurement", "ms project", "asana", "trello", "process improvement",
        "lean", "six sigma",
    ),
    "content": (
        "copywriting", "content strategy", "editing", "proofreading", "cms", "wordpress",
        "content creation", "technical writing", "storytelling",
    ),
}  # fmt: skip

# Names written in capitals or with a fixed spelling: found anywhere in the text, not only
# after a cue phrase, because a requirements list often just names them.
_TOOLS: tuple[str, ...] = (
    "SQL", "BigQuery", "Snowflake", "Redshift", "Looker Studio", "Looker", "Tableau",
    "Power BI", "Qlik", "Metabase", "Google Analytics", "GA4", "Excel", "Google Sheets",
    "Python", "pandas", "HubSpot", "Marketo", "Mailchimp", "Google Ads", "Meta Ads", "Salesforce",
    "Jira", "Confluence", "Figma", "Photoshop", "Illustrator", "InDesign", "Epic", "Cerner",
    "SAP", "QuickBooks", "Xero", "WordPress", "Asana", "Trello", "MS Project", "SEO", "PPC",
    "BLS", "ACLS", "EHR", "EMR",
)  # fmt: skip

_CUE = re.compile(
    r"\b(?:hands-on experience|proven experience|experience|knowledge|working knowledge|"
    r"familiarity|proficiency|expertise|fluency|skills|understanding|"
    r"familiar|proficient|skilled|fluent|comfortable|confident|confidence)"
    r"\s+(?:with|in|of|using)\s+(?P<phrase>[^.;:!?\n()]+)",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•–·]|\d+[.)])\s+(?P<text>.+?)\s*$")
_SPLIT = re.compile(r",\s*|\s+and\s+|\s+or\s+|\s*/\s*|\s*&\s*", re.IGNORECASE)
# Leading words that are not part of the skill itself, including a second cue phrase joined
# to the first ("knowledge of IFRS and experience in month-end close").
_LEAD = re.compile(
    r"^(?:(?:at least|a|an|the|tools|tools such as|such as|like|including|e\.g\.|"
    r"(?:hands-on |proven |working )?(?:experience|knowledge|familiarity|proficiency|expertise|"
    r"fluency|skills|understanding|familiar|proficient|skilled|fluent|comfortable|confident|"
    r"confidence) (?:with|in|of|using)|"
    r"modern|common|standard|relevant|strong|good|solid|excellent|basic|advanced|"
    r"\d+\+?\s+years?(?: of)?)\s+)+",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"\s+(?:or similar|or equivalent|and similar|tools?|platforms?|software|etc\.?|"
    r"is a plus|a plus|preferred|desirable|required|is required|an advantage)$",
    re.IGNORECASE,
)
# Phrases too general to ask about on their own.
_TOO_GENERAL = frozenset(
    {
        "data", "work", "tools", "computers", "office", "microsoft office", "ms office",
        "teams", "people", "others", "a team", "the team", "english", "communication",
        "fast-paced environment", "a fast-paced environment", "stakeholders", "customers",
    }
)  # fmt: skip
# The verbs a responsibility bullet starts with, in the base form a question can use after
# "to": "Builds"/"Building" are brought back to "build".
_VERBS: tuple[str, ...] = (
    "administer", "advise", "analyse", "analyze", "assess", "audit", "build", "care", "carry",
    "coordinate", "create", "collaborate", "conduct", "define", "deliver", "design", "develop",
    "document", "drive", "educate", "ensure", "evaluate", "forecast", "identify", "implement",
    "improve", "lead", "maintain", "manage", "measure", "monitor", "optimise", "optimize", "own",
    "partner", "perform", "plan", "prepare", "present", "prioritise", "prioritize", "produce",
    "provide", "report", "research", "review", "run", "set", "shape", "support", "test",
    "track", "train", "translate", "work", "write",
)  # fmt: skip
# Where a duty's object ends: "dashboards | in Looker", "A/B tests | with the CRM team".
_STOP_AT = frozenset(
    {"in", "with", "for", "to", "and", "before", "after", "across", "using", "every", "on", "by"}
)
_NOT_ADVERBS = frozenset(
    {"weekly", "monthly", "daily", "quarterly", "yearly", "hourly", "early", "only", "family"}
)
_PARTICLES = frozenset({"out", "up", "through"})
_RESPONSIBILITY_MAX_WORDS = 14
_SKILL_MAX_WORDS = 5


@dataclass(frozen=True)
class Skill:
    """A skill or tool the description names, in its own words, and the area it belongs to
    (a key of :data:`CATEGORIES`, or ``general`` when none fits)."""

    name: str
    category: str
    #: the first line of the description that names it (0-based), to tell which skills the
    #: description asks for together
    line: int = 0


@dataclass(frozen=True)
class Responsibility:
    """A duty from a bullet list, as ``verb rest`` with the verb in its base form."""

    verb: str
    rest: str
    category: str

    @property
    def text(self) -> str:
        return f"{self.verb} {self.rest}"

    @property
    def subject(self) -> str:
        """What the duty is about, as a short noun phrase: "weekly retention dashboards" for
        "build and maintain weekly retention dashboards in Looker"."""
        words = self.rest.split()
        # "build and maintain X": the second verb belongs to the verb, not to the object.
        if len(words) > 2 and words[0] == "and" and words[1].islower():
            words = words[2:]
        words = [w for w in words if not (w.endswith("ly") and w not in _NOT_ADVERBS)]
        cut = next((i for i, w in enumerate(words) if i and w.lower() in _STOP_AT), len(words))
        return " ".join(words[: min(cut, 6)]) or self.rest


@dataclass(frozen=True)
class JobRequirements:
    """Everything :func:`extract_skills` found, in the order the description names it."""

    skills: tuple[Skill, ...]
    responsibilities: tuple[Responsibility, ...]

    def by_category(self) -> list[tuple[str, list[Skill]]]:
        """Skills grouped by area, the area named most often first (ties: first named)."""
        groups: dict[str, list[Skill]] = {}
        for skill in self.skills:
            groups.setdefault(skill.category, []).append(skill)
        ranked = sorted(enumerate(groups.items()), key=lambda item: (-len(item[1][1]), item[0]))
        return [group for _, group in ranked]


def is_tool(name: str) -> bool:
    """Whether ``name`` is one of the tool names this module knows ("SQL", "Looker")."""
    return name in _TOOLS


def _has(phrase: str, word: str) -> bool:
    return re.search(rf"(?<![\w/]){re.escape(word)}(?![\w/])", phrase, re.IGNORECASE) is not None


def category_of(phrase: str) -> str:
    """The area a phrase belongs to, by the longest keyword it contains; ``general`` if none."""
    best, length = "general", 0
    for category, words in CATEGORIES.items():
        for word in words:
            if len(word) > length and _has(phrase, word):
                best, length = category, len(word)
    return best


def _clean(item: str) -> str | None:
    item = " ".join(item.split()).strip(" -–,'\"")
    for _ in range(3):
        item = _LEAD.sub("", item)
        item = _TAIL.sub("", item).strip(" -–,")
    if not item or item.lower() in _TOO_GENERAL:
        return None
    n = len(item.split())
    if n > _SKILL_MAX_WORDS or not re.search(r"[A-Za-z]", item):
        return None
    # A phrase that runs into a clause ("SQL to answer questions") is cut at the clause.
    item = re.split(r"\s+(?:to|for|that|which|so|when|while|across)\s+", item, maxsplit=1)[0]
    if item.lower() in _TOO_GENERAL:
        return None
    # The writer's capitals are kept: mid-sentence, a capital marks a name ("Workday").
    return item


def _cue_phrases(text: str) -> list[str]:
    found: list[str] = []
    for match in _CUE.finditer(text):
        phrase = match.group("phrase")
        # "including" and "such as" introduce examples of the skill: keep both sides.
        for part in _SPLIT.split(re.sub(r"\b(?:including|such as|like)\b", ",", phrase)):
            item = _clean(part)
            if item:
                found.append(item)
    return found


def _tools(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for tool in _TOOLS:  # longer names come first where they overlap ("Looker Studio")
        flags = 0 if len(tool) <= 4 else re.IGNORECASE
        for m in re.finditer(rf"(?<![\w/]){re.escape(tool)}(?![\w/])", text, flags):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            out.append((m.start(), tool))
    return sorted(out)


def _base_verb(word: str) -> str | None:
    w = word.lower()
    for verb in _VERBS:
        stem = verb[:-1] if verb.endswith("e") else verb
        forms = {verb, verb + "s", verb + "es", stem + "ing", verb + verb[-1] + "ing"}
        if verb.endswith("y"):
            forms.add(verb[:-1] + "ies")
        if w in forms:
            return verb
    return None


def _responsibility(line: str) -> Responsibility | None:
    text = re.split(r";|\s+[-–]\s+|\(", line, maxsplit=1)[0].strip().rstrip(".,")
    words = text.split()
    if not 3 <= len(words) <= _RESPONSIBILITY_MAX_WORDS:
        return None
    verb = _base_verb(words[0])
    if verb is None:
        return None
    rest = words[1:]
    if rest and rest[0].lower() in _PARTICLES:  # "carry out", "follow up"
        verb = f"{verb} {rest.pop(0).lower()}"
    # Lower the first word of the rest unless it is a name ("Looker", "SQL").
    if rest and rest[0][:1].isupper() and rest[0][1:].islower() and rest[0] not in _TOOLS:
        rest[0] = rest[0].lower()
    return Responsibility(verb, " ".join(rest), category_of(text))


def extract_skills(text: str) -> JobRequirements:
    """The skills, tools and responsibilities ``text`` names, each once, in order."""
    skills: list[Skill] = []
    seen: set[str] = set()
    lines = text.splitlines()

    def add(name: str) -> None:
        key = name.lower()
        # A bare tool already inside a longer phrase ("Looker" in "dashboarding in Looker").
        if key in seen or any(_has(s, name) for s in seen):
            return
        # ... and a longer phrase replaces the bare tool it contains.
        for s in list(skills):
            if _has(name, s.name) and s.name.lower() != key:
                skills.remove(s)
                seen.discard(s.name.lower())
        seen.add(key)
        line = next((i for i, text in enumerate(lines) if _has(text, name)), 0)
        skills.append(Skill(name, category_of(name), line))

    # Cue phrases first, in the order they appear, then any named tool they did not cover.
    for item in _cue_phrases(text):
        add(item)
    for _, tool in _tools(text):
        add(tool)
    responsibilities: list[Responsibility] = []
    for line in text.splitlines():
        bullet = _BULLET.match(line)
        if bullet:
            duty = _responsibility(bullet.group("text"))
            if duty and duty.text.lower() not in {r.text.lower() for r in responsibilities}:
                responsibilities.append(duty)
    return JobRequirements(tuple(skills), tuple(responsibilities))
