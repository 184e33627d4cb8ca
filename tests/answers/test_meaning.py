"""/ask by meaning, the lexical part (issue 13): coverage stems words as the FTS5 index does,
weighs each question word by how rare it is in the article, and favours passages holding what
the question word asks for (a place, a date, a person, a number). Real SQLite files, the sample
article, the real FTS5 index."""

from __future__ import annotations

import re

import pytest

from bot.answers.extractive import ANSWER_COVERAGE, answer_question, ranked_quotes
from bot.articles import Article
from bot.articles.passages import article_passages, source_text
from bot.discordfmt.answers import answer_text
from bot.domain.viewer import Viewer
from bot.search.ranking import AnswerKind, Stems, stem
from bot.store import Store

OPERATOR = Viewer.operator()

# Forms a reader may type that differ from the article's ("died" in the text, "dies" asked),
# those the issue names, and words where the original Porter algorithm and FTS5's revision differ.
ASKED_FORMS = [
    "dies",
    "dying",
    "died",
    "policy",
    "policies",
    "prosecuted",
    "prosecutions",
    "prosecute",
    "rioting",
    "riot",
    "investigated",
    "investigations",
    "injuries",
    "strengthening",
    "modernisation",
    "assembly",
    "ideology",
    "flexibly",
    "industries",
    "employed",
    "responsibility",
    "Kazakhstan’s",
    "café",
]


async def test_coverage_stems_each_word_as_the_index_matches_it(stored: tuple[Store, Article]) -> None:
    """For every word of the article and the forms above, the passages FTS5 matches are exactly
    those whose words cover it, and the index's document frequency counts them."""
    store, article = stored
    passages = article_passages(article)
    vocabulary = {w for p in passages for w in re.findall(r"[^\W_]+", p.text)} | set(ASKED_FORMS)
    words = sorted({w for term in vocabulary for w in re.findall(r"[^\W_]+", term.lower())})
    total, frequencies = await store.search.document_frequencies([article.id], words)
    assert total == len(passages)
    for word, frequency in zip(words, frequencies, strict=True):
        matched = {
            (h.passage.source, h.passage.comment, h.passage.start)
            for h in await store.search.search([article.id], f'"{word}"', len(passages) + 1)
        }
        covering = {
            (p.source, p.comment, p.start)
            for p in passages
            if Stems([word]).covered(Stems.words(p.text)) == 1
        }
        assert matched == covering, word
        assert frequency == len(matched), word
    assert stem("died") == stem("dies") and stem("prosecutions") == stem("prosecuted")


@pytest.mark.parametrize(
    "question",
    [
        "What is the currency of Kazakhstan?",
        "What is the population of Kazakhstan?",
        "What is the capital of Kazakhstan?",
        "What language do people speak in Kazakhstan?",
        "How much does oil cost in Kazakhstan?",
        "What is the weather in Zhanaozen?",
        "What did the police eat?",
        "What sports are popular in Zhanaozen?",
    ],
)
async def test_sharing_only_common_words_with_the_article_is_not_an_answer(
    stored: tuple[Store, Article], question: str
) -> None:
    """Near misses: each shares words with the article (Kazakhstan, Zhanaozen, people, oil,
    police), which does not answer it; covering the common words is not enough."""
    store, article = stored
    answer = await answer_question(store, article, question, viewer=OPERATOR)
    assert not answer.answered
    assert answer_text(answer, article).startswith("**Not found in the article.**")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many people died?", "16 people died"),
        ("How many jobs were created in 2012?", "Over 5,000 new jobs"),
        ("How much was given in new loans for businesses?", "$64 million in new loans"),
        ("How many workers had been sacked?", "2,000 workers who had been sacked"),
        ("What did the special public commission do?", "three-month investigation"),
        ("Were NGOs allowed to visit detainees?", "NGOs were allowed to visit"),
        ("What was the spark for the deaths?", "criminal behaviour was certainly the spark"),
        ("Who is the foreign minister?", "Erlan Idrissov is the Foreign Minister"),
    ],
)
async def test_real_questions_are_still_answered(
    stored: tuple[Store, Article], question: str, expected: str
) -> None:
    store, article = stored
    answer = await answer_question(store, article, question, viewer=OPERATOR)
    assert answer.answered
    assert expected in answer.quotes[0].text
    for quote in answer.quotes:
        assert source_text(article, quote.source, quote.comment)[quote.start : quote.end] == quote.text


async def test_where_quotes_the_sentence_that_says_where(stored: tuple[Store, Article]) -> None:
    """Two sentences name the riots; the answer is the one next to where they happened."""
    store, article = stored
    answer = await answer_question(store, article, "Where did the riots happen?", viewer=OPERATOR)
    assert answer.answered
    top = answer.quotes[0]
    assert "Zhanaozen in western Kazakhstan" in top.text and "erupted into riots" in top.text
    assert "repair the damage" not in top.text
    assert article.body[top.start : top.end] == top.text


async def test_when_prefers_a_passage_holding_a_date(stored: tuple[Store, Article]) -> None:
    store, article = stored
    ranked = await ranked_quotes(store, [article], "When were the new jobs created?")
    assert "in 2012 alone" in ranked[0].text


async def test_a_paraphrase_sharing_rare_words_is_answered(stored: tuple[Store, Article]) -> None:
    """ "Towns that rely on one employer" are the article's mono-towns: the rare words it shares
    (towns; employer and employment, one stem) carry the answer over the threshold."""
    store, article = stored
    answer = await answer_question(
        store, article, "How is the government helping towns that rely on one employer?", viewer=OPERATOR
    )
    assert answer.answered and answer.quotes[0].coverage >= ANSWER_COVERAGE
    assert "mono-towns" in answer.quotes[0].text


async def test_an_answer_told_over_three_sentences_is_quoted_whole(stored: tuple[Store, Article]) -> None:
    """Journalists/media, hearings/trials share no stem; but "allowed" (one sentence) and
    "foreign" (two on), both rare in the article, are retrieved one sentence apart: quoted
    together, they cover enough of the question's weight to answer it."""
    store, article = stored
    answer = await answer_question(
        store, article, "Were foreign journalists allowed at the hearings?", viewer=OPERATOR
    )
    assert answer.answered
    top = answer.quotes[0]
    assert "Foreign media and observers were invited to attend." in top.text
    assert top.text.startswith("NGOs were allowed to visit") and len(top.text) <= 400
    assert article.body[top.start : top.end] == top.text


async def test_a_paraphrase_sharing_one_common_word_is_refused_not_misquoted(
    stored: tuple[Store, Article],
) -> None:
    """ "What started the violence?" shares only "violence" with its answer's neighbourhood
    (the dispute erupted into riots): lexically, a "not found" is the honest answer, not the
    sentence about the violence shocking Kazakhstan's friends."""
    store, article = stored
    answer = await answer_question(store, article, "What started the violence?", viewer=OPERATOR)
    assert not answer.answered


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many people died?", AnswerKind.NUMBER),
        ("How much is being spent?", AnswerKind.NUMBER),
        ("When did the violence happen?", AnswerKind.DATE),
        ("In what year were the jobs created?", AnswerKind.DATE),
        ("Who recommended the laws?", AnswerKind.NAME),
        ("Where did the riots happen?", AnswerKind.NAME),
        ("Which country is this about?", AnswerKind.NAME),
        ("What started the violence?", None),
        ("Why were laws strengthened?", None),
    ],
)
def test_question_words_ask_for_a_kind_of_answer(question: str, kind: str | None) -> None:
    assert AnswerKind.asked(question) == kind


@pytest.mark.parametrize(
    ("kind", "text", "held"),
    [
        (AnswerKind.NUMBER, "The result was that 16 people died.", True),
        (AnswerKind.NUMBER, "Over five thousand jobs.", True),
        (AnswerKind.NUMBER, "Many more were injured.", False),
        (AnswerKind.DATE, "Jobs were created in 2012 alone.", True),
        (AnswerKind.DATE, "It happened in December.", True),
        (AnswerKind.DATE, "It happened recently.", False),
        (AnswerKind.NAME, "The violence in Zhanaozen shocked us.", True),
        (AnswerKind.NAME, "Riots damaged buildings.", False),
        (AnswerKind.NAME, "The riots shocked Kazakhstan.", False),
    ],
)
def test_a_passage_holds_the_kind_asked_for_unless_the_question_holds_it(
    kind: str, text: str, held: bool
) -> None:
    """A capitalised word the question itself names ("Kazakhstan") is not an answer to it."""
    asked = frozenset(Stems.words("Where in Kazakhstan were the riots?"))
    assert AnswerKind.held(kind, text, asked) is held
