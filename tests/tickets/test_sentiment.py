"""Which client comments read as upset: a table of sentences, upset, calm and mixed."""

from __future__ import annotations

import pytest

from bot.tickets.sentiment import PHRASE_LIMIT, sounds_unhappy

UPSET = [
    "This is the third time I have asked about this.",
    "Frankly this is unacceptable.",
    "I am very disappointed with how this has been handled.",
    "I want to make a formal complaint.",
    "How many times do I have to explain the same thing?",
    "The site is down yet again and nobody has replied.",
    "This is ridiculous, we pay for support.",
    "The service we have had this month has been appalling.",
    "We are fed up with chasing you for answers.",
    "This is a complete waste of my time.",
    "Honestly, this is not good enough.",
    "We are considering whether to cancel our contract.",
    "I'm extremely frustrated that this still isn't fixed.",
    "I am furious about the downtime.",
    "Your team has let us down badly.",
    "This is terrible, I hate dealing with this.",
    "I'm angry and upset that nobody told us.",
    "Absolutely awful experience, the worst support we've had.",
    "Please escalate this to your manager.",
    "It still hasn't been fixed after two weeks!",
    "Thanks for nothing, this is outrageous.",
]

CALM = [
    "No rush at all.",
    "The form says 'unacceptable input' when I press save.",
    "Thanks, that's not a problem.",
    "Could you update the plugin please?",
    "The error message says failed to connect.",
    "The page shows a fatal error after the update.",
    "We have a critical bug on the checkout page.",
    "Our editor's account is blocked, can you unlock it?",
    "Images are missing from the gallery since yesterday.",
    "Is it possible to add a new user for Sam?",
    "No complaints from us, everything works now.",
    "Not disappointed at all, thanks for the quick fix.",
    'The log says "Permission denied" on upload.',
    "Many thanks for your help.",
    "When you get a chance, can you check the backups?",
    "The contact form sends emails to the wrong address.",
    "We got a warning about a vulnerable plugin.",
    "That's fine, Monday is good for us.",
    "",
]

MIXED = [
    # Polite, but clearly unhappy: the support words count.
    ("Thanks for the reply, but this is the third time the site has gone down.", True),
    ("I appreciate the effort, however I'm disappointed it took a week.", True),
    # Upset about something else, happy with us.
    ("The old agency was unacceptable, you have been great, thank you so much!", False),
    ("Great news, thanks! Sorry if my last message sounded frustrated.", False),
    ("The update broke the menu. Also, honestly, this is the fourth time this month.", True),
    ("Error `unacceptable request` again when I log in, any ideas?", False),
]


@pytest.mark.parametrize("sentence", UPSET)
def test_upset_comments_are_noticed(sentence: str) -> None:
    assert sounds_unhappy(sentence) is not None, sentence


@pytest.mark.parametrize("sentence", CALM)
def test_calm_comments_are_not(sentence: str) -> None:
    assert sounds_unhappy(sentence) is None, sentence


@pytest.mark.parametrize(("sentence", "upset"), MIXED)
def test_mixed_comments(sentence: str, upset: bool) -> None:
    assert (sounds_unhappy(sentence) is not None) is upset, sentence


def test_at_least_forty_sentences() -> None:
    assert len(UPSET) + len(CALM) + len(MIXED) >= 40


def test_the_phrase_quoted_is_the_upset_sentence() -> None:
    comment = "Hi team.\n\nThe login page fails again. This is the third time I have asked!"
    found = sounds_unhappy(comment)
    assert found is not None
    assert found.phrase == "This is the third time I have asked!"


def test_a_long_sentence_is_clipped() -> None:
    found = sounds_unhappy("This is unacceptable " + "and more " * 40)
    assert found is not None
    assert len(found.phrase) == PHRASE_LIMIT
    assert found.phrase.endswith("…")
