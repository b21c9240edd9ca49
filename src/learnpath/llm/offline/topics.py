"""Topic detection for the offline model: which catalog domain a goal belongs to, and a
generic curriculum built from the goal's own words when none fits."""

from __future__ import annotations

import re

from learnpath.llm.offline.catalog import DOMAINS, Curriculum, Domain

_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "already",
        "an",
        "and",
        "as",
        "at",
        "basic",
        "basics",
        "be",
        "become",
        "becoming",
        "better",
        "by",
        "can",
        "career",
        "could",
        "do",
        "engineer",
        "expert",
        "for",
        "from",
        "get",
        "good",
        "h",
        "hour",
        "hours",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "job",
        "just",
        "know",
        "learn",
        "learning",
        "like",
        "master",
        "mastering",
        "me",
        "month",
        "months",
        "my",
        "of",
        "on",
        "per",
        "please",
        "professional",
        "skill",
        "skills",
        "some",
        "start",
        "study",
        "the",
        "to",
        "understand",
        "using",
        "want",
        "week",
        "weeks",
        "with",
        "within",
        "would",
        "year",
        "years",
    ]
)
_ZH_FILLERS = (
    "我想",
    "我要",
    "想要",
    "希望",
    "能够",
    "学习",
    "学会",
    "成为",
    "一名",
    "一个",
    "掌握",
    "了解",
    "如何",
    "个月",
    "小时",
    "每周",
    "以内",
    "之内",
    "年",
    "在",
    "的",
    "内",
)


def detect_domain(text: str) -> Domain | None:
    """The catalog domain whose keywords ``text`` mentions most (first on ties), or None."""
    lowered = text.lower()
    best: Domain | None = None
    best_score = 0
    for domain in DOMAINS:
        score = sum(1 for keyword in domain.keywords if _mentions(lowered, keyword))
        if score > best_score:
            best, best_score = domain, score
    return best


def domain_by_key(key: str) -> Domain | None:
    return next((d for d in DOMAINS if d.key == key), None)


def _mentions(text: str, keyword: str) -> bool:
    if keyword.isascii():
        return re.search(rf"(?<![a-z0-9]){re.escape(keyword)}(?![a-z0-9])", text) is not None
    return keyword in text


# A role named in a goal becomes the field it works in ("data engineer" → "data engineering").
_ROLE_FIELDS = {
    "engineer": "engineering",
    "engineers": "engineering",
    "developer": "development",
    "developers": "development",
    "programmer": "programming",
    "scientist": "science",
    "analyst": "analysis",
    "designer": "design",
    "architect": "architecture",
    "manager": "management",
    "administrator": "administration",
    "writer": "writing",
    "photographer": "photography",
    "teacher": "teaching",
    "translator": "translation",
    "researcher": "research",
    "specialist": "",
    "expert": "",
    "professional": "",
}
_ZH_ROLE_FIELDS = (
    ("开发工程师", "开发"),
    ("工程师", "工程"),
    ("开发者", "开发"),
    ("程序员", "编程"),
    ("科学家", "科学"),
    ("分析师", "分析"),
    ("设计师", "设计"),
    ("架构师", "架构"),
    ("专家", ""),
)
# Words that start a clause the topic does not belong to ("…engineer who can build…").
_CLAUSE_WORDS = frozenset(
    [
        "who",
        "that",
        "which",
        "so",
        "because",
        "where",
        "when",
        "while",
        "i",
        "by",
        "within",
        "for",
        "as",
        "to",
    ]
)
_EXTRA_STOPWORDS = frozenset(
    [
        "able",
        "someone",
        "person",
        "real",
        "new",
        "more",
        "well",
        "really",
        "level",
        "improve",
        "prepare",
        "begin",
        "getting",
        "am",
        "fluent",
    ]
)
_KEEP_AFTER_TOPIC = frozenset(["learning", "skills", "design", "engineering"])
_MAX_WORDS = 4


def topic_of(goal: str) -> str:
    """A short topic phrase from the goal's own words ("data engineering", "sourdough bread").

    Only the goal's first clause counts; filler words are dropped and a role becomes its
    field. Words keep their case except a lower-case first letter, so acronyms survive.
    """
    if re.search(r"[\u4e00-\u9fff]", goal):
        return _zh_topic(goal)
    clause = re.split(r"[,;:.!?()\[\]/]|\s-\s", goal, maxsplit=1)[0]
    kept: list[str] = []
    for index, word in enumerate(re.findall(r"[A-Za-z][A-Za-z0-9+#.\-]*", clause)):
        word = word.strip(".-")
        lowered = word.lower()
        if lowered in _KEEP_AFTER_TOPIC and kept:
            kept.append(lowered)
            continue
        if lowered in _CLAUSE_WORDS and kept:
            break
        if lowered in _ROLE_FIELDS:
            field = _ROLE_FIELDS[lowered]
            if field and kept:
                kept.append(field)
            if kept:
                break
            continue
        if lowered in _STOPWORDS or lowered in _EXTRA_STOPWORDS or lowered in _CLAUSE_WORDS:
            continue
        kept.append(lowered if index == 0 and word[1:].islower() else word)
    topic = " ".join(kept[:_MAX_WORDS])
    return topic or "your goal"


def _zh_topic(goal: str) -> str:
    clause = re.split(r"[,，。.!！?？、；;：:（）()]", goal.strip(), maxsplit=1)[0]
    topic = re.sub(
        r"(每周|每天)?[0-9０-９一二两三四五六七八九十半]+(个月|周|年|天|小时)(以内|之内|内)?|\s+",
        "",
        clause,
    )
    changed = True
    while changed:  # drop fillers at the start ("我想学习…"), never inside a term ("机器学习")
        changed = False
        for filler in _ZH_FILLERS:
            if topic.startswith(filler) and len(topic) > len(filler):
                topic = topic[len(filler) :]
                changed = True
    for role, field in _ZH_ROLE_FIELDS:
        if topic.endswith(role) and len(topic) > len(role):
            topic = topic[: -len(role)] + field
            break
    return topic[:12] or "目标"


def display_name(topic: str) -> str:
    """``topic`` as a title: first letter upper-cased, the rest untouched."""
    return topic[:1].upper() + topic[1:]


def generic_curriculum(topic: str) -> Curriculum:
    """A 4-stage curriculum for any topic, in the catalog's ``"English|中文"`` form."""
    t = topic

    def module(en: str, zh: str) -> tuple[str, tuple[str, ...]]:
        return f"{en}|{zh}", generic_concepts(f"{en}|{zh}")

    return (
        (
            f"Foundations of {t}|{t}基础",
            (
                module(f"Key ideas of {t}", f"{t}核心概念"),
                module("Tools and setup", "工具与准备"),
            ),
        ),
        (
            f"Core {t} skills|{t}核心技能",
            (
                module("Essential techniques", "基本技巧"),
                module("Deliberate practice", "刻意练习"),
            ),
        ),
        (
            f"Applying {t}|{t}实践应用",
            (
                module(f"A first {t} project", f"第一个{t}项目"),
                module("Real-world situations", "真实场景"),
            ),
        ),
        (
            f"Going further with {t}|{t}进阶",
            (
                module("Advanced topics", "高级主题"),
                module("Sharing and teaching", "分享与传授"),
            ),
        ),
    )


def generic_concepts(module: str) -> tuple[str, ...]:
    """Three concepts for a module the catalog does not know (``module`` may be bilingual)."""
    en, _, zh = module.partition("|")
    zh = zh or en
    return (
        f"{en}: the fundamentals|{zh}：基础要点",
        f"{en}: guided practice|{zh}：引导练习",
        f"{en}: common mistakes|{zh}：常见错误",
    )
