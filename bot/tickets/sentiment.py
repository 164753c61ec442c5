"""Does a client's comment read as upset? VADER's lexicon, tuned for support tickets.

Support tickets are full of words VADER scores as negative that say nothing about the
client's mood ("error", "failed", "broken"), and quote error messages ("unacceptable
input"): those are taken out before scoring. A short list of support words that mean a
client is unhappy ("complaint", "third time") counts as well, unless negated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# A sentence this negative (VADER's compound score, -1 to 1) reads as upset on its own.
UPSET_SCORE = -0.5
# The support words count unless the sentence, or the whole comment, is this positive.
SUPPORT_WORD_CEILING = 0.5
PHRASE_LIMIT = 150

# Words that describe a fault, not a feeling: neutral in a support ticket.
TECHNICAL_WORDS = (
    "error errors fail fails failed failing failure failures broken break breaks crash crashes "
    "crashed bug bugs problem problems issue issues wrong missing lost block blocked blocking "
    "denied deny warning warnings critical fatal kill killed dead attack attacks vulnerable "
    "vulnerability spam reject rejected rejects invalid stuck timeout urgent urgency emergency "
    "alert alerts panic trouble troubles damage damaged corrupt corrupted hack hacked virus "
    "malware risk risks delete deleted lose losing alarm no"
).split()

# Phrases that say a client is unhappy however politely it is put.
STRONG_WORDS = (
    r"thanks for nothing",
    r"formal complaint",
    r"(?:third|fourth|fifth|3rd|4th|5th) time",
    r"how many (?:more )?times",
    r"waste of (?:my |our )?time",
    r"fed up",
    r"(?:cancel|terminate|end) (?:our|the|my) (?:contract|subscription|service)",
)
# Words that say a client is unhappy, unless the rest of what they wrote is warm.
SUPPORT_WORDS = (
    *STRONG_WORDS,
    r"complain(?:t|ts|ed|ing)?",
    r"unacceptable",
    r"disappoint(?:ed|ing|ment)",
    r"(?:once|yet) again",
    r"still (?:not|isn't|hasn't|hasnt|isnt) (?:been )?(?:fixed|resolved|working|sorted|done)",
    r"ridiculous",
    r"appalling",
    r"outrageous",
    r"furious",
    r"sick (?:and tired|of)",
    r"not good enough",
    r"poor service",
    r"terrible service",
    r"frustrat(?:ed|ing|ion)",
    r"let (?:us|me) down",
    r"no one (?:has )?(?:replied|responded|got back)",
    r"nobody (?:has )?(?:replied|responded|got back)",
    r"escalat(?:e|ing|ion)",
)
_STRONG = re.compile(r"\b(?:" + "|".join(STRONG_WORDS) + r")\b", re.IGNORECASE)
_SUPPORT = re.compile(r"\b(?:" + "|".join(SUPPORT_WORDS) + r")\b", re.IGNORECASE)
# A support word right after one of these is negated ("not disappointed", "no complaints").
_NEGATED = re.compile(
    r"\b(?:not|no|never|isn't|wasn't|aren't|nothing|without)\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)
# Quoted text and code: what a screen or a log says, not what the client feels.
_QUOTED = re.compile(r"`[^`]*`|\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?<![\w])'[^']*'(?![\w])")
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Upset:
    """The sentence that reads as upset, and how negative it scored."""

    phrase: str
    score: float


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    for word in TECHNICAL_WORDS:
        analyzer.lexicon.pop(word, None)
    return analyzer


@lru_cache(maxsize=1024)
def sounds_unhappy(comment: str | None) -> Upset | None:
    """The most upset sentence of a client's comment, or None when it reads calm.

    Remembered by text: a card or a digest reads the same comment again and again, and
    scoring it takes a few tenths of a millisecond per sentence."""
    if not comment:
        return None
    # A warm comment with one gloomy sentence ("sorry I sounded frustrated") is not upset.
    warm = _score(_QUOTED.sub(" ", comment)) >= SUPPORT_WORD_CEILING
    found: Upset | None = None
    for sentence in _SENTENCES.split(comment):
        sentence = " ".join(sentence.split())
        if not sentence:
            continue
        unquoted = _QUOTED.sub(" ", sentence)
        score = _score(unquoted)
        if _said(_STRONG, unquoted):
            upset = True
        elif warm:
            upset = False
        else:
            upset = score <= UPSET_SCORE or (
                score < SUPPORT_WORD_CEILING and _said(_SUPPORT, unquoted)
            )
        if upset and (found is None or score < found.score):
            found = Upset(_clip(sentence), score)
    return found


def _score(text: str) -> float:
    return float(_analyzer().polarity_scores(text)["compound"])


def _said(words: re.Pattern[str], text: str) -> bool:
    """One of the words is in the text, and not negated ("no complaints")."""
    return any(not _NEGATED.search(text[: match.start()]) for match in words.finditer(text))


def _clip(sentence: str) -> str:
    if len(sentence) <= PHRASE_LIMIT:
        return sentence
    return sentence[: PHRASE_LIMIT - 1].rstrip() + "…"
