"""Semantic retrieval measured with a real model: lexical /ask against the hybrid, same run.

An OpenAI-compatible embeddings server on 127.0.0.1 runs all-MiniLM-L6-v2 on the CPU
(``benchmarks/minilm.py``); Readalong's own :class:`~bot.answers.embeddings.Embedder` talks to it
with the real ``openai`` client, and every question goes through ``answer_question``, the code
path of ``/ask``, without and with the embedder. The lexical ranking is imported, not copied, so
this measures whatever ranking the code has.

- SQuAD v1.1 dev hit@1 (a gold answer inside the top quote), lexical vs hybrid at several
  cosine weights, overall and on low-overlap questions (at most a third of the question's content
  words in the sentence holding the answer).
- Not-found calibration: every fifth question also asked of another article; per rule, how many
  real questions are answered and how many foreign ones are (wrongly).
- Paraphrases (``benchmarks/paraphrases.json``): questions on the sample article written without
  its wording; hit@3, lexical vs hybrid.
- Cost: the embedding call per question, and what fusion adds beyond it (the question's vector
  cached, so only the cosines and fusion are timed), p50/p95.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/semantic.py [--articles 48]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import squad
from minilm import MODEL, EmbeddingServer, MiniLM

from bot.answers.embeddings import Embedder
from bot.answers.extractive import ANSWER_COVERAGE, answer_question, question_stems, ranked_quotes
from bot.articles import Article, parse_article, read_article_file
from bot.articles.passages import article_passages
from bot.domain.viewer import Viewer
from bot.search.hybrid import SEMANTIC_WEIGHT, SUPPORT_THRESHOLD, SUPPORT_WORDS, WORDS_ALONE
from bot.search.query import STOP_WORDS, query_terms
from bot.search.ranking import Stems
from bot.settings import Secret, Settings
from bot.store import Store

OPERATOR = Viewer.operator()
WEIGHTS = (0.2, 0.3, 0.5, 0.7)
SAMPLE = Path(__file__).parents[1] / "bot" / "data" / "the-lessons-of-zhanaozen.txt"


def embedder_for(url: str) -> Embedder:
    settings = Settings(
        openai_api_key=Secret("local"),
        openai_base_url=url,
        semantic=True,
        embedding_model=MODEL,
        embedding_timeout_seconds=30.0,
    )
    embedder = Embedder.from_settings(settings)
    assert embedder is not None
    embedder.index_timeout = 3600.0
    return embedder


def content_stems(question: str) -> Stems:
    return Stems([t for t in query_terms(question) if t not in STOP_WORDS])


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"{statistics.median(ordered):.2f} / {ordered[int(len(ordered) * 0.95)]:.2f} ms"


async def squad_part(server: EmbeddingServer, limit: int, dump: Path | None) -> None:
    articles = squad.load()[:limit]
    total = sum(len(a.questions) for a in articles)
    embedder = embedder_for(server.url)
    lexical_hits = 0
    hybrid_hits = dict.fromkeys(WEIGHTS, 0)
    low = {"questions": 0, "lexical": 0, "hybrid": 0}
    own: list[tuple[float, float, bool]] = []  # (coverage, cosine, answered by words) of the top quote
    foreign: list[tuple[float, float, bool]] = []
    call_ms: list[float] = []
    fusion_ms: list[float] = []
    lexical_ms: list[float] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        async with Store(Path(folder) / "squad.db") as store:
            stored = [await store.articles.add(a.parse()) for a in articles]
            indexing = time.perf_counter()
            for article in stored:
                await embedder.passage_vectors(store, article)
            indexing = time.perf_counter() - indexing
            passages = server.texts
            for index, (source, article) in enumerate(zip(articles, stored, strict=True)):
                print(f"  article {index + 1}/{len(stored)} …", file=sys.stderr, flush=True)
                sentences = [p.text for p in article_passages(article)]
                for number, question in enumerate(source.questions):
                    q = question.text
                    lexical = await answer_question(store, article, q, viewer=OPERATOR)
                    lexical_ms.append(lexical.latency_ms)
                    top = lexical.quotes[0].text if lexical.quotes else ""
                    lexical_hit = squad.contains_answer(top, question.answers)
                    lexical_hits += lexical_hit
                    before = time.perf_counter()
                    await embedder.meaning(store, article, q)  # the embedding call, timed alone
                    call_ms.append((time.perf_counter() - before) * 1000)
                    for weight in WEIGHTS:
                        embedder.weight = weight
                        hybrid = await answer_question(store, article, q, viewer=OPERATOR, embedder=embedder)
                        top_hybrid = hybrid.quotes[0].text if hybrid.quotes else ""
                        hit = squad.contains_answer(top_hybrid, question.answers)
                        hybrid_hits[weight] += hit
                        if weight == SEMANTIC_WEIGHT:
                            fusion_ms.append(hybrid.latency_ms)
                            chosen_hit = hit
                            own.append(
                                await _evidence(
                                    store, embedder, article, q, hybrid.quotes, words=lexical.answered
                                )
                            )
                    embedder.weight = SEMANTIC_WEIGHT
                    home = next((s for s in sentences if squad.contains_answer(s, question.answers)), None)
                    stems = content_stems(q)
                    if home is not None and stems.covered(stems.of(home)) <= 1 / 3:
                        low["questions"] += 1
                        low["lexical"] += lexical_hit
                        low["hybrid"] += chosen_hit
                    if number % 5 == 0:
                        other = stored[(index + 1) % len(stored)]
                        wrong = await answer_question(store, other, q, viewer=OPERATOR)
                        wrong_hybrid = await answer_question(
                            store, other, q, viewer=OPERATOR, embedder=embedder
                        )
                        foreign.append(
                            await _evidence(
                                store, embedder, other, q, wrong_hybrid.quotes, words=wrong.answered
                            )
                        )
    elapsed = time.perf_counter() - started
    await embedder.close()

    print(f"SQuAD v1.1 dev: {len(articles)} of 48 articles, {total:,} questions ({elapsed:.0f} s in all)")
    print(
        f"passages embedded once: {passages:,} in {indexing:.0f} s ({passages / indexing:.0f}/s, MiniLM on 2 shared cores)"
    )
    print(f"\n{'ranking':<34}{'hit@1':>8}")
    print(f"{'lexical (the baseline)':<34}{lexical_hits / total:>8.1%}")
    for weight, hits in hybrid_hits.items():
        mark = "  ← in use" if weight == SEMANTIC_WEIGHT else ""
        gain = (hits - lexical_hits) / total * 100
        print(f"{f'hybrid, cosine weight {weight}':<34}{hits / total:>8.1%}   {gain:+.1f} points{mark}")
    n = max(low["questions"], 1)
    print(
        f"\nlow-overlap questions (≤ 1/3 of content words in the answer's sentence): {low['questions']:,}\n"
        f"  lexical {low['lexical'] / n:.1%}, hybrid {low['hybrid'] / n:.1%} "
        f"({(low['hybrid'] - low['lexical']) / n * 100:+.1f} points)"
    )
    print(f"\nnot-found, {len(own):,} real and {len(foreign):,} foreign questions (share answered):")
    print(
        f"  lexical (coverage ≥ {ANSWER_COVERAGE}): real {_share(own, None):.1%}, foreign {_share(foreign, None):.1%}"
    )
    in_use = (WORDS_ALONE, SUPPORT_WORDS, SUPPORT_THRESHOLD)
    print(
        f"  hybrid in use (coverage ≥ {WORDS_ALONE} or {SUPPORT_WORDS}·coverage + {1 - SUPPORT_WORDS:g}·cosine"
        f" ≥ {SUPPORT_THRESHOLD}): real {_share(own, in_use):.1%}, foreign {_share(foreign, in_use):.1%}"
    )
    print(
        "  best rules, foreign ≤ 3% (coverage ≥ w or a·coverage + (1 − a)·cosine ≥ t; w, a, t: real, foreign):"
    )
    rules = [
        (w, a / 10, t / 100)
        for w in (ANSWER_COVERAGE, 0.4, 0.45, 0.5, 0.6, 0.7, 9.0)
        for a in range(10)
        for t in range(25, 90)
    ]
    fine = [(r, _share(own, r), _share(foreign, r)) for r in rules]
    fine = [f for f in fine if f[2] <= 0.03]
    for (w, a, t), mine, theirs in sorted(fine, key=lambda f: -f[1])[:8]:
        words = "never" if w > 1 else f"{w:.3g}"
        print(f"    {words:>6}, {a:.1f}, {t:.2f}: real {mine:.1%}, foreign {theirs:.1%}")
    if dump is not None:
        await asyncio.to_thread(dump.write_text, json.dumps({"real": own, "foreign": foreign}))
        print(f"  (coverage and cosine of every top quote written to {dump})")
    print(f"\ncost per question: embedding call {percentiles(call_ms)} (p50 / p95)")
    print(
        f"  /ask lexical {percentiles(lexical_ms)}; hybrid with the vector in hand {percentiles(fusion_ms)}"
    )


async def _evidence(
    store: Store,
    embedder: Embedder,
    article: Article,
    question: str,
    quotes: tuple[object, ...],
    *,
    words: bool,
) -> tuple[float, float, bool]:
    """The hybrid's top quote: the weighted share of the question's words it holds (as the
    lexical ranking counts it, before the hybrid raises it) and its cosine."""
    from bot.domain.answer import Quote

    top = quotes[0] if quotes else None
    if not isinstance(top, Quote):
        return 0.0, 0.0, words
    stems = await question_stems(store, [article.id], question)  # weighted, as /ask weighs them
    meaning = await embedder.meaning(store, article, question)  # cached: no call
    cosine = meaning.cosine(top) if meaning is not None else None
    return stems.covered(stems.of(top.text)), cosine or 0.0, words


def _share(found: list[tuple[float, float, bool]], rule: tuple[float, float, float] | None) -> float:
    """The share of questions answered: by the words alone (None), or by a hybrid rule ``(w, a,
    t)``: the top quote's weighted coverage reaches ``w``, or ``a``·coverage + (1 − a)·cosine
    reaches ``t``."""
    if not found:
        return 0.0
    if rule is None:
        return sum(words for _, _, words in found) / len(found)
    w, a, t = rule
    return sum(c >= w or a * c + (1 - a) * max(s, 0.0) >= t for c, s, _ in found) / len(found)


async def paraphrase_part(server: EmbeddingServer) -> None:
    spec = json.loads((Path(__file__).parent / "paraphrases.json").read_text())
    embedder = embedder_for(server.url)
    scores = {"lexical": 0, "hybrid": 0}
    answered = {"lexical": 0, "hybrid": 0}
    with tempfile.TemporaryDirectory() as folder:
        async with Store(Path(folder) / "sample.db") as store:
            article = await store.articles.add(parse_article(read_article_file(SAMPLE), source=SAMPLE.name))
            for item in spec["questions"]:
                for name, using in (("lexical", None), ("hybrid", embedder)):
                    ranked = await ranked_quotes(
                        store, [article], item["question"], readers=OPERATOR, embedder=using
                    )
                    scores[name] += any(item["expect"] in q.text for q in ranked[:3])
                    answer = await answer_question(
                        store, article, item["question"], viewer=OPERATOR, embedder=using
                    )
                    answered[name] += answer.answered and any(item["expect"] in q.text for q in answer.quotes)
    await embedder.close()
    n = len(spec["questions"])
    print(f"\nparaphrases ({n} questions on the sample article, benchmarks/paraphrases.json):")
    for name, hits in scores.items():
        print(f"  {name:<8} hit@3 {hits / n:.1%}   answered with the right quote {answered[name] / n:.1%}")
    print(f"  hybrid − lexical: {(scores['hybrid'] - scores['lexical']) / n * 100:+.1f} points at hit@3")


async def latency_part(server: EmbeddingServer, size: int, sample: int) -> None:
    """/ask's latency in a store of ``size`` passages (SQuAD dev stored again and again under new
    ids), lexical and hybrid, the hybrid timed with the question's vector already in hand: what
    fusion adds beyond the embedding call. Questions come from copies of the first 6 articles (so
    only those are embedded; a copy's sentences have the same hashes, so its vectors are reused)."""
    library = squad.load()
    embedder = embedder_for(server.url)
    with tempfile.TemporaryDirectory() as folder:
        async with Store(Path(folder) / "library.db") as store:
            count = 0
            asked: list[tuple[Article, str]] = []
            while count < size:
                for number, source in enumerate(library):
                    article = await store.articles.add(source.parse())
                    count += len(article_passages(article))
                    if number < 6:
                        asked += [(article, q.text) for q in source.questions]
                    if count >= size:
                        break
            random.Random(13).shuffle(asked)
            asked = asked[:sample]
            lexical_ms: list[float] = []
            hybrid_ms: list[float] = []
            call_ms: list[float] = []
            for article, question in asked:
                await embedder.passage_vectors(store, article)
                before = time.perf_counter()
                await embedder.meaning(store, article, question)
                call_ms.append((time.perf_counter() - before) * 1000)
                lexical = await answer_question(store, article, question, viewer=OPERATOR)
                hybrid = await answer_question(store, article, question, viewer=OPERATOR, embedder=embedder)
                lexical_ms.append(lexical.latency_ms)
                hybrid_ms.append(hybrid.latency_ms)
    await embedder.close()
    extra = [h - lex for h, lex in zip(hybrid_ms, lexical_ms, strict=True)]
    print(f"\n/ask in a store of {count:,} passages, {len(asked)} questions (p50 / p95):")
    print(f"  lexical (the baseline)            {percentiles(lexical_ms)}")
    print(f"  hybrid, the vector in hand        {percentiles(hybrid_ms)}")
    print(f"  what fusion adds, per question    {percentiles(extra)}")
    print(f"  the embedding call (MiniLM here)  {percentiles(call_ms)}")


async def run(limit: int, skip_squad: bool, latency: int, dump: Path | None) -> None:
    model = MiniLM()
    async with EmbeddingServer(model) as server:
        await paraphrase_part(server)
        if latency:
            await latency_part(server, latency, 300)
        if not skip_squad:
            await squad_part(server, limit, dump)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--articles", type=int, default=48, help="how many of SQuAD's 48 dev articles (default all)"
    )
    parser.add_argument("--paraphrases-only", action="store_true", help="skip SQuAD's hit@1")
    parser.add_argument(
        "--latency",
        type=int,
        default=100_000,
        metavar="N",
        help="time /ask in a store of N passages (0: skip)",
    )
    parser.add_argument(
        "--dump", type=Path, metavar="FILE", help="write each top quote's coverage and cosine here (JSON)"
    )
    args = parser.parse_args()
    asyncio.run(run(args.articles, args.paraphrases_only, args.latency, args.dump))


if __name__ == "__main__":
    main()
