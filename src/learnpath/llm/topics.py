"""Topic detection for the offline model: which catalog domain a goal belongs to, and a
generic curriculum built from the goal's own words when none fits."""

from __future__ import annotations

import re

from learnpath.llm.catalog import DOMAINS, Curriculum, Domain

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


def topic_of(goal: str) -> str:
    """A short topic phrase from the goal's own words ("bake sourdough bread")."""
    if re.search(r"[\u4e00-\u9fff]", goal):
        topic = re.sub(r"[0-9０-９,，。.!！?？、\s]+", "", goal)
        for filler in _ZH_FILLERS:
            topic = topic.replace(filler, "")
        return (topic or goal.strip())[:12]
    words = re.findall(r"[A-Za-z][A-Za-z0-9+#.\-]*", goal)
    kept = [w.strip(".") for w in words if w.lower().strip(".") not in _STOPWORDS]
    return " ".join(kept[:3]) or goal.strip()[:40]


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
