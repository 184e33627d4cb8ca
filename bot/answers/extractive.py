"""Answering a question with the article's own words.

FTS5's BM25 over sentences finds candidates; they are re-ranked by how much of the question's
content words they cover (BM25 alone favours a short sentence repeating one word), each word
stemmed as the index stems it and weighed by how rare it is in the article, with a little extra
for a sentence holding what the question word asks for (a number, a date, a name); widened to a
neighbouring sentence when together they cover more (or the neighbour holds what was asked for);
and accepted only if the verdict (:mod:`bot.answers.verdict`) finds it answers: it covers
enough of the question's weight, lacks no word the question hangs on, and holds what the question
asks for (a person, a time, a number, a place) near its subject. Otherwise the article does not
answer it, and we say so instead of quoting something that shares its words but not its answer.

With an :class:`~bot.answers.llm.AnswerWriter`, a model then writes a short answer from the
retrieved passages; its quotes are verified there, and any failure leaves the extractive answer.
The model may also decline (the passages do not say): that is honoured as "not found".
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from bot.answers.about import about_answer
from bot.answers.llm import Declined
from bot.answers.spoilers import posted_only, quotable
from bot.answers.verdict import ANSWER_SCALE, MEANING_RULE, WORDS_RULE, evidence, verdict
from bot.articles.passages import source_text
from bot.articles.sentences import sentence_spans
from bot.domain.answer import Answer, Quote, Reader, overlap
from bot.domain.article import Article
from bot.domain.passage import Hit, MessageHit
from bot.search.query import STOP_WORDS, match_expression, query_terms
from bot.search.ranking import MAX_QUOTE_CHARS, Stems, best_window, idf
from bot.store import Store

if TYPE_CHECKING:
    from bot.answers.embeddings import Embedder
    from bot.answers.llm import AnswerWriter
    from bot.domain.viewer import Viewer
    from bot.search.hybrid import Meaning

ANSWER_COVERAGE = ANSWER_SCALE
"""Share of the question's weighted content words (see :func:`question_stems`) the best quote
must contain; below it, "not found" (the verdict's bar, :data:`bot.answers.verdict.ANSWER_SCALE`,
with its further checks). Calibrated on SQuAD dev (benchmarks/ask_quality.py): the
highest share at which 90% of real questions are still answered (90.1%); 3.0% of questions from
another article are then (wrongly) answered (0.36: 90.3% and 3.04%)."""
KIND_BONUS = 0.1
"""Added to a quote's score when it holds what the question word asks for (a number for "how
many", a date for "when", a name for "who" or "where")."""
CANDIDATES = 20
"""BM25's best passages that are re-ranked. On SQuAD dev, hit@1 was the same from 10 to 40
(74.6%, before issue 13's weighting); 20 keeps a margin at half the work of 40."""
MODEL_PASSAGES = 6
"""How many of the best retrieved passages a model may answer from."""
NAME_WEIGHT = 1.5
"""How much more a name in the question that the article lacks weighs than another missing word
(on SQuAD dev, 1.5 answers as many real questions as 1 while wrongly answering fewer foreign
ones; 2 no better)."""
_NAME_IN_QUESTION = re.compile(r"(?<=\S)\s+([A-Z][^\W_]*)")
RANKED = 10
"""How many distinct quotes ranking returns at most (``readalong ask --top`` goes up to 10)."""
READER_CANDIDATES = 10
"""How many of readers' messages in the discussion are considered for a quote."""


Found = tuple[int, list[int], list[Hit]]
"""What the index holds for a question about one article (``SearchQueries.candidates``): how many
passages it has, how many of them hold each of the question's terms, and its best passages."""


async def search_article(store: Store, article_id: str, question: str) -> Found | None:
    """What :func:`answer_question` first reads from the index for ``question`` about the article
    stored under ``article_id`` (None for a question without words), read by the article's key
    alone: a front end that knows the key reads it while the article itself is read, and hands
    it to :func:`answer_question` as ``found`` (on a server, one trip's wait instead of two)."""
    match = match_expression(question)
    if match is None:
        return None
    return await store.search.candidates([article_id], query_terms(question), match, CANDIDATES)


async def answer_question(
    store: Store,
    article: Article,
    question: str,
    *,
    viewer: Viewer,
    top_k: int = 3,
    writer: AnswerWriter | None = None,
    posted: Collection[int] | None = None,
    embedder: Embedder | None = None,
    found: Found | None = None,
) -> Answer:
    """The best one to ``top_k`` quotes for ``question``, or a plain "not found"; with a
    ``writer``, a model's short answer citing verified quotes when it gives one in time.
    Readers' messages are quoted only from what ``viewer`` may see (:mod:`bot.domain.viewer`).

    A question about the article itself (who wrote it, when, who the author is) is answered
    from its byline and bio (:mod:`bot.answers.about`). ``posted``: during a posting, the
    sections posted so far; only they are quoted (and the bio, and readers' words), and a
    section further on that answers better is named, not quoted. None: the whole article.

    Only reads: the article's passages were indexed when it was imported. The answer is data;
    each front end renders it (for Discord, :mod:`bot.discordfmt.answers`). ``found``: what
    :func:`search_article` read for this article and question, if read already."""
    started = time.perf_counter()
    about = about_answer(article, question)
    if about is not None:
        return about
    ranked, stems, by_meaning = await ranked_for(
        store, [article], question, readers=viewer, embedder=embedder, found=found
    )
    ranked, withheld = posted_only(ranked, posted)
    has_content = any(t not in STOP_WORDS for t in query_terms(question))
    rule = MEANING_RULE if by_meaning else WORDS_RULE
    chosen = verdict(stems, ranked, rule) if has_content and stems is not None else None
    answered = chosen is not None
    quotes = best_of(ranked, top_k, chosen)
    later = (
        withheld.section
        if withheld is not None
        and stems is not None
        and has_content
        and evidence(stems, withheld).passes(rule)
        and (not answered or withheld.score > quotes[0].score)
        else None
    )
    if answered and writer is not None:
        offered = quotes[:1] + [q for q in ranked if q is not quotes[0]][: MODEL_PASSAGES - 1]
        written = await writer.write(article, question, offered)
        if isinstance(written, Declined):
            # The model read the passages and says they do not answer: honoured, as "not found"
            # with the closest passage, as if the verdict had refused.
            answered, written = False, None
        # The model is shown posted passages only, yet its quotes are looked up in the whole
        # article: one from a section not posted yet (a model may know the article) is dropped.
        cited = [c.quote for c in written.quotes if quotable(c.quote, posted)][:top_k] if written else []
        if written is not None and cited:
            return Answer(
                question,
                article.id,
                True,
                tuple(cited),
                (time.perf_counter() - started) * 1000,
                writer.model,
                later,
                prose=written.prose,
            )
    if not answered and later is not None:
        quotes = []  # the answer is further on: no closest passage from what is posted
    return Answer(
        question,
        article.id,
        answered,
        tuple(quotes if answered else quotes[:1]),
        (time.perf_counter() - started) * 1000,
        unposted_section=later,
    )


async def ranked_quotes(
    store: Store,
    articles: Sequence[Article],
    question: str,
    *,
    everywhere: bool = False,
    readers: Viewer | None = None,
    embedder: Embedder | None = None,
) -> list[Quote]:
    """The best ``RANKED`` candidate quotes from these articles, widened and re-ranked, best
    first, none overlapping another. ``everywhere`` searches the whole index (the articles given
    must then be all of them) instead of filtering by article; ``readers`` also searches what
    readers wrote in the article's discussion (one article only), as far as that viewer may see
    it, leaving out the viewer's own messages, messages addressed to the bot and questions.
    With an ``embedder`` (one article), passages near the question by meaning join the candidates
    and the scores are fused (:mod:`bot.search.hybrid`); if it fails, ranking is by words alone."""
    return (
        await ranked_for(store, articles, question, everywhere=everywhere, readers=readers, embedder=embedder)
    )[0]


async def ranked_for(
    store: Store,
    articles: Sequence[Article],
    question: str,
    *,
    everywhere: bool = False,
    readers: Viewer | None = None,
    embedder: Embedder | None = None,
    found: Found | None = None,
) -> tuple[list[Quote], Stems | None, bool]:
    """``ranked_quotes``, with the question's weighed stems (None when it has no words) and
    whether meaning took part (an embedder that failed leaves the words alone). ``found``: the
    index's candidates for the one article, already read (:func:`search_article`)."""
    match = match_expression(question)
    if match is None or not articles:
        return [], None, False
    by_id = {a.id: a for a in articles}
    scope = None if everywhere else list(by_id)
    # The reads at once, not one after the other: under a burst of questions each awaited read
    # waits its turn through a busy event loop.
    terms = query_terms(question)
    discussion = readers is not None and len(articles) == 1
    searched = (
        _given(found)
        if found is not None and scope is not None and len(scope) == 1
        else store.search.candidates(scope, terms, match, CANDIDATES)
    )
    (passages, frequencies, hits), discussed = await asyncio.gather(
        searched, store.search.discussed(articles[0].id) if discussion else _false()
    )
    stems = weighed_stems(question, terms, passages, frequencies)
    said: list[MessageHit] = []
    if readers is not None and discussed:
        said = await store.search.search_messages(
            match, viewer=readers, article_id=articles[0].id, limit=READER_CANDIDATES, quotable=True
        )
    meaning = None
    if embedder is not None and len(articles) == 1 and not everywhere:
        meaning = await embedder.meaning(store, articles[0], question)
    # Scoring reads every hit's text, which may be a 1.5 MB comment: off the event loop, so other
    # members' commands are answered meanwhile.
    ranked = await asyncio.to_thread(_rank, by_id, hits, (articles[0].id, said), stems, meaning)
    return ranked, stems, meaning is not None


async def _false() -> bool:
    return False


async def _given(found: Found) -> Found:
    return found


async def question_stems(store: Store, article_ids: Sequence[str] | None, question: str) -> Stems:
    """The question's terms, each weighed by how rare it is among these articles' passages (all
    passages when None): a word most passages hold says little about which one answers, and a
    word none holds says the article may be about something else. A name in the question (a
    capitalised word not starting it) that no passage holds weighs ``NAME_WEIGHT`` times more:
    the article lacking it is the surest sign the question is about another subject."""
    terms = query_terms(question)
    passages, frequencies = await store.search.document_frequencies(article_ids, terms)
    return weighed_stems(question, terms, passages, frequencies)


def weighed_stems(question: str, terms: Sequence[str], passages: int, frequencies: Sequence[int]) -> Stems:
    """:func:`question_stems` from the counts already read (``passages`` in scope, how many hold
    each of ``terms``)."""
    names = {word.lower() for word in _NAME_IN_QUESTION.findall(question)}
    weights = {
        term: idf(frequency, passages) * (NAME_WEIGHT if term in names and not frequency else 1.0)
        for term, frequency in zip(terms, frequencies, strict=True)
    }
    unseen = frozenset(term for term, frequency in zip(terms, frequencies, strict=True) if not frequency)
    return Stems(list(terms), weights, question=question, unseen=unseen)


def _rank(
    by_id: Mapping[str, Article],
    hits: list[Hit],
    readers: tuple[str, list[MessageHit]],
    stems: Stems,
    meaning: Meaning | None = None,
) -> list[Quote]:
    """``ranked_quotes``'s scoring, widening and choice, with no I/O; ``readers`` is the article
    discussed and what its readers said that matched."""
    discussed, said = readers
    if meaning is not None:
        hits = meaning.with_nearest(hits)
    scored: list[Quote] = []
    for message in said:
        quote = _reader_quote(discussed, message, stems, max(x.score for x in said))
        if quote is not None:
            scored.append(quote)
    top_bm25 = max((h.score for h in hits), default=1.0) or 1.0
    for hit in hits:
        article = by_id.get(hit.article_id)
        if article is None:
            continue
        spans = [(_widen(article, hit, stems), hit.score)]
        spans += [(span, max(hit.score, other.score)) for other, span in _bridged(article, hit, hits, stems)]
        passage = hit.passage
        weight = 1.0 if passage.source == "body" else 0.85
        for (covered, start, end), bm25 in spans:
            text = source_text(article, passage.source, passage.comment)[start:end]
            kind = KIND_BONUS if stems.answers_kind(text) else 0.0
            scored.append(
                Quote(
                    text,
                    passage.source,
                    passage.section,
                    passage.comment,
                    start,
                    end,
                    weight * (covered + 0.25 * bm25 / top_bm25 + kind),
                    covered,
                    article.id,
                )
            )
    if meaning is not None:
        scored = meaning.fuse(scored, ANSWER_COVERAGE)
    scored.sort(key=lambda q: q.score, reverse=True)
    chosen: list[Quote] = []
    for quote in scored:
        if not any(overlap(q, quote) for q in chosen):
            chosen.append(quote)
            if len(chosen) == RANKED:
                break
    return chosen


def best_of(ranked: list[Quote], top_k: int, chosen: int | None = None) -> list[Quote]:
    """The best quote, and up to ``top_k - 1`` more that are nearly as good.

    ``chosen``: the quote the verdict found answers (:func:`bot.answers.verdict.verdict`), first.
    Otherwise, when the article's best passage covers ``ANSWER_COVERAGE``, that passage comes
    first and is always kept: a reader's message, however close to the question's words, only
    adds to the article's answer and never displaces it.
    """
    if not ranked:
        return []
    own = next((q for q in ranked if q.reader is None), None)
    if chosen is not None:
        best, rest = ranked[chosen], [q for i, q in enumerate(ranked) if i != chosen][: top_k - 1]
    elif own is not None and own.coverage >= ANSWER_COVERAGE:
        best, rest = own, [q for q in ranked if q is not own][: top_k - 1]
    else:
        best, rest = ranked[0], ranked[1:top_k]
    # Further quotes only if they are nearly as good: one strong quote beats one strong and two weak.
    return [best] + [q for q in rest if q.coverage >= max(ANSWER_COVERAGE, best.coverage * 0.75)]


def _is_question(text: str) -> bool:
    return text.rstrip().rstrip("\"'”’)»").endswith("?")


def _reader_quote(article_id: str, message: MessageHit, stems: Stems, top_bm25: float) -> Quote | None:
    """The sentence (with a neighbour, or a window of an over-long one) of a reader's message
    that covers most of the question, weighted below the article's own words. A sentence that
    is a question is never quoted as an answer (None when the message holds nothing else)."""
    text = message.content
    spans = sentence_spans(text) or [(0, len(text))]
    asks = [_is_question(text[a:b]) for a, b in spans]
    candidates = [
        _best_span(
            text,
            span,
            [spans[i] for i in (index - 1, index + 1) if 0 <= i < len(spans) and not asks[i]],
            stems,
        )
        for index, span in enumerate(spans)
        if not asks[index]
    ]
    if not candidates:
        return None
    covered, start, end = max(candidates, key=lambda found: found[0])
    reader = Reader(message.id, message.channel_id, message.guild_id, message.author_name, text)
    score = 0.85 * (covered + 0.25 * message.score / (top_bm25 or 1.0))
    return Quote(
        text[start:end], "comment", message.section, None, start, end, score, covered, article_id, reader
    )


def _widen(article: Article, hit: Hit, stems: Stems) -> tuple[float, int, int]:
    """The passage's span, or it with a neighbour in its section when together they cover more."""
    passage = hit.passage
    neighbours = [
        (other.start, other.end)
        for other in (hit.before, hit.after)
        if other is not None and other.section == passage.section
    ]
    text = source_text(article, passage.source, passage.comment)
    return _best_span(text, (passage.start, passage.end), neighbours, stems)


def _bridged(
    article: Article, hit: Hit, hits: list[Hit], stems: Stems
) -> list[tuple[Hit, tuple[float, int, int]]]:
    """Two retrieved sentences one sentence apart (``hit`` first, the one between known as its
    neighbour) quoted together with it, when the three cover more of the question than either
    alone and fit in a quote: an answer told over a few sentences ("NGOs were allowed to visit…
    The trials were open… Foreign media were invited")."""
    between = hit.after
    if between is None or between.section != hit.passage.section:
        return []
    text = source_text(article, hit.passage.source, hit.passage.comment)
    found = []
    for other in hits:
        if other.id != hit.id + 2 or other.article_id != hit.article_id:
            continue
        if (
            other.passage.section != hit.passage.section
            or other.passage.end - hit.passage.start > MAX_QUOTE_CHARS
        ):
            continue
        words = [stems.of(text[p.start : p.end]) for p in (hit.passage, between, other.passage)]
        covered = stems.covered(words[0] | words[1] | words[2])
        if covered > max(stems.covered(words[0]), stems.covered(words[2])):
            found.append((other, (covered, hit.passage.start, other.passage.end)))
    return found


def _best_span(
    text: str, span: tuple[int, int], neighbours: list[tuple[int, int]], stems: Stems
) -> tuple[float, int, int]:
    """(coverage, start, end): the sentence ``text[span]``, or it with the neighbouring sentence
    that together cover more of the question within ``MAX_QUOTE_CHARS``; for an over-long
    sentence, its best window."""
    start, end = span
    if end - start > MAX_QUOTE_CHARS:
        return best_window(text, start, end, stems)
    own = stems.of(text[start:end])
    best = (stems.covered(own), start, end)
    # The sentence lacking what the question asks for (a place, a date, a number) and its
    # neighbour holding it: the pair is the better quote at the same coverage.
    wanting = stems.kind is not None and not stems.answers_kind(text[start:end])
    for other_start, other_end in neighbours:
        low, high = min(start, other_start), max(end, other_end)
        if high - low > MAX_QUOTE_CHARS:
            continue
        # Adjacent sentences are separated by whitespace only, so the pair covers the union.
        widened = stems.covered(own | stems.of(text[other_start:other_end]))
        if widened > best[0] or (
            wanting and widened == best[0] and stems.answers_kind(text[other_start:other_end])
        ):
            best = (widened, low, high)
            wanting = False
    return best
