"""Does /ask know when the article is silent? Answerable, near-miss and off-topic questions together,
by words alone and with all-MiniLM-L6-v2, each next to today's rule measured in the same run.

Data. SQuAD 2.0's unanswerable questions are the public standard for near misses, but no public
copy of its train split could be had from a package registry (PyPI, npm, Debian: none ships
``train-v2.0.json``), so the near misses are written by hand (``benchmarks/near_misses.json``):
on articles of SQuAD v1.1's **train** split (the paragraphs SQuAD 2.0's train split asks about),
and on the sample article, each of those with an answerable twin. SQuAD's dev split is never used
to calibrate.

- Calibration (train): a seeded sample of ``--train-articles`` (at most 40) SQuAD v1.1 train
  articles; every 4th question (answerable), every 20th also put to the next article
  (off-topic), and the near misses marked ``calibrate``. Every rule of a grid (coverage
  threshold, heaviest missing word, how many of the best quotes may answer) is scored offline on
  the same top quotes; the chosen one refuses the most near misses while answerable hit@1 stays
  within 3 points of today's rule and at most 3% of off-topic questions are answered.
- Held out: SQuAD v1.1 dev (all questions; every 5th also off-topic), the near misses marked
  ``held-out``, and the sample article's near misses with their twins.

Counted: answerable hit@1 (a gold answer in the top quote of an answer; a refused answerable
question is a miss), near misses refused, off-topic answered, and SQuAD 2.0's accuracy framing,
(hits + refusals) / all, next to "always answer" and "always refuse". Every rule goes through
:func:`bot.answers.verdict.verdict`, the code ``/ask`` runs; the rule in use is also put through
``answer_question`` on the sample article, to show the two agree.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/near_miss.py [--dev-articles 48] [--meaning-articles 12]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import squad

from bot.answers.embeddings import Embedder
from bot.answers.extractive import ANSWER_COVERAGE, answer_question, ranked_for
from bot.answers.verdict import MEANING_RULE, WORDS_RULE, Evidence, Rule, evidence
from bot.articles import Article, parse_article, read_article_file
from bot.domain.viewer import Viewer
from bot.search.query import STOP_WORDS, query_terms
from bot.store import Store

OPERATOR = Viewer.operator()
HERE = Path(__file__).parent
SAMPLE = HERE.parent / "bot" / "data" / "the-lessons-of-zhanaozen.txt"
SEED = 25


@dataclass(frozen=True, slots=True)
class Probe:
    """One question's best quotes as the verdict sees them, and which hold a gold answer."""

    found: tuple[tuple[Evidence, bool], ...]
    content: bool

    def chosen(self, rule: Rule) -> int | None:
        if not self.content:
            return None
        for index, (seen, _) in enumerate(self.found[: rule.candidates]):
            if seen.passes(rule):
                return index
        return None  # (SQuAD's questions have no readers' messages: the order is the verdict's)

    def hit(self, rule: Rule | None) -> bool:
        """Answered, with a gold answer in the top quote (``None``: today's rule)."""
        if rule is None:
            return self.today() and self.found[0][1]
        index = self.chosen(rule)
        return index is not None and self.found[index][1]

    def shown_hit(self, rule: Rule | None) -> bool:
        """A gold answer in the first quote shown, answered or not (as ``ask_quality.py`` and
        ``semantic.py`` count hit@1): the ranking, with the verdict's choice first."""
        index = None if rule is None else self.chosen(rule)
        return bool(self.found) and self.found[index or 0][1]

    def answered(self, rule: Rule | None) -> bool:
        return self.today() if rule is None else self.chosen(rule) is not None

    def today(self) -> bool:
        """Today's rule (before issue 25): the top quote covers ``ANSWER_COVERAGE``."""
        return self.content and bool(self.found) and self.found[0][0].coverage >= ANSWER_COVERAGE


async def probe(
    store: Store,
    article: Article,
    question: str,
    answers: Iterable[str] = (),
    embedder: Embedder | None = None,
) -> Probe:
    ranked, stems, _ = await ranked_for(store, [article], question, readers=OPERATOR, embedder=embedder)
    gold = tuple(answers)
    content = any(t not in STOP_WORDS for t in query_terms(question))
    if stems is None:
        return Probe((), False)
    return Probe(
        tuple((evidence(stems, q), bool(gold) and squad.contains_answer(q.text, gold)) for q in ranked[:3]),
        content,
    )


@dataclass
class Probes:
    answerable: list[Probe]
    near: list[Probe]
    foreign: list[Probe]

    def figures(self, rule: Rule | None) -> tuple[float, float, float]:
        """hit@1, near misses refused, off-topic answered."""
        return (
            share(p.hit(rule) for p in self.answerable),
            share(not p.answered(rule) for p in self.near),
            share(p.answered(rule) for p in self.foreign),
        )


def share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def squad_two(answerable: list[Probe], unanswerable: list[Probe], rule: Rule | None) -> str:
    """SQuAD 2.0's accuracy: (answerable hit + unanswerable refused) / all, with the two trivial
    baselines."""
    right = sum(p.hit(rule) for p in answerable) + sum(not p.answered(rule) for p in unanswerable)
    total = len(answerable) + len(unanswerable)
    always_answer = sum(p.found[0][1] if p.found else False for p in answerable) / total
    return f"{right / total:6.1%}   (always answer {always_answer:.1%}, always refuse {len(unanswerable) / total:.1%})"


def grid() -> list[Rule]:
    return [
        Rule(coverage=c / 1000, missing=m / 1000, absent=a / 100, reach=r, candidates=k)
        for c in (362, 380, 400, 420, 440)  # the bar never lowers: from today's threshold up
        for m in [*range(250, 501, 50), 1000]
        for a in (20, 25, 30, 35, 40, 100)
        for r in (5, 8, 12, 20, math.inf)
        for k in (1, 3)
    ]


def calibrate(probes: Probes, name: str, bar: Rule | None = None) -> Rule:
    """The grid's rule refusing the most near misses with hit@1 within 2 points of today's (a
    margin under the target's 3 for held-out questions) and off-topic answered at most 3%; among
    equals the fewest off-topic answered, then the most hits. ``bar``: the rule by words alone,
    which meaning may not loosen (the same kind check; no looser word checks or coverage)."""
    base_hit, base_near, base_foreign = probes.figures(None)
    fine = []
    rules = [
        r
        for r in grid()
        if bar is None
        or (
            r.reach == bar.reach
            and r.missing <= bar.missing
            and r.absent <= bar.absent
            and r.coverage >= bar.coverage
        )
    ]
    for rule in rules:
        hit, near, foreign = probes.figures(rule)
        if hit >= base_hit - 0.02 and foreign <= 0.03:
            fine.append((near, hit, -foreign, rule))
    fine.sort(key=lambda f: (f[0], f[2], f[1]), reverse=True)
    print(
        f"\ncalibration, {name} ({len(probes.answerable):,} answerable, {len(probes.near)} near misses, "
        f"{len(probes.foreign):,} off-topic; SQuAD v1.1 train sample):"
    )
    print(
        f"  today's rule          hit@1 {base_hit:6.1%}   near misses refused {base_near:6.1%}   off-topic answered {base_foreign:5.1%}"
    )
    for near, hit, foreign, rule in fine[:8]:
        print(
            f"  coverage {rule.coverage:.3f} missing ≤ {rule.missing:.3f} absent ≤ {rule.absent:.2f} reach {rule.reach:g} best {rule.candidates}:"
            f" hit@1 {hit:6.1%}   near misses refused {near:6.1%}   off-topic answered {-foreign:5.1%}"
        )
    return fine[0][3] if fine else WORDS_RULE


async def train_probes(
    articles: list[squad.SquadArticle], near: list[dict[str, str]], embedder: Embedder | None
) -> Probes:
    probes = Probes([], [], [])
    with tempfile.TemporaryDirectory() as folder:
        async with Store(Path(folder) / "train.db") as store:
            stored = [await store.articles.add(a.parse()) for a in articles]
            by_title = {a.title: s for a, s in zip(articles, stored, strict=True)}
            for index, (source, article) in enumerate(zip(articles, stored, strict=True)):
                print(f"  train article {index + 1}/{len(stored)} …", file=sys.stderr, flush=True)
                for number, question in enumerate(source.questions):
                    if number % 4:
                        continue
                    probes.answerable.append(
                        await probe(store, article, question.text, question.answers, embedder)
                    )
                    if number % 20 == 0:
                        other = stored[(index + 1) % len(stored)]
                        probes.foreign.append(await probe(store, other, question.text, (), embedder))
            for item in near:
                probes.near.append(
                    await probe(store, by_title[item["title"]], item["question"], (), embedder)
                )
    return probes


async def held_out_probes(
    articles: list[squad.SquadArticle],
    train: dict[str, squad.SquadArticle],
    near: list[dict[str, str]],
    embedder: Embedder | None,
) -> Probes:
    probes = Probes([], [], [])
    with tempfile.TemporaryDirectory() as folder:
        async with Store(Path(folder) / "dev.db") as store:
            stored = [await store.articles.add(a.parse()) for a in articles]
            for index, (source, article) in enumerate(zip(articles, stored, strict=True)):
                print(f"  dev article {index + 1}/{len(stored)} …", file=sys.stderr, flush=True)
                for number, question in enumerate(source.questions):
                    probes.answerable.append(
                        await probe(store, article, question.text, question.answers, embedder)
                    )
                    if number % 5 == 0:
                        other = stored[(index + 1) % len(stored)]
                        probes.foreign.append(await probe(store, other, question.text, (), embedder))
            titles = {item["title"] for item in near}
            near_articles = {t: await store.articles.add(train[t].parse()) for t in sorted(titles)}
            for item in near:
                probes.near.append(
                    await probe(store, near_articles[item["title"]], item["question"], (), embedder)
                )
    return probes


async def sample_probes(
    spec: list[dict[str, str]], embedder: Embedder | None
) -> tuple[list[Probe], list[Probe], int]:
    """The sample article's near misses and their twins (a twin's "gold" is its expected words);
    and how many of the verdicts ``answer_question`` (the /ask path) agrees with."""
    near, twins, agree = [], [], 0
    with tempfile.TemporaryDirectory() as folder:
        async with Store(Path(folder) / "sample.db") as store:
            article = await store.articles.add(parse_article(read_article_file(SAMPLE), source=SAMPLE.name))
            rule = MEANING_RULE if embedder is not None else WORDS_RULE
            for item in spec:
                missed = await probe(store, article, item["question"], (), embedder)
                twin = await probe(store, article, item["twin"], (item["expect"],), embedder)
                near.append(missed)
                twins.append(twin)
                for question, probed in ((item["question"], missed), (item["twin"], twin)):
                    answer = await answer_question(
                        store, article, question, viewer=OPERATOR, embedder=embedder
                    )
                    agree += answer.answered == probed.answered(rule)
    return near, twins, agree


def report(name: str, held: Probes, near: list[Probe], twins: list[Probe], *, rule: Rule, agree: int) -> None:
    """The held-out figures, today's rule first, then the verdict in use."""
    print(
        f"\nheld out, {name}: SQuAD v1.1 dev ({len(held.answerable):,} answerable, {len(held.foreign):,} off-topic),"
        f" {len(held.near)} near misses on train articles, {len(near)} on the sample article with {len(twins)} twins"
    )
    for label, used in (("today's rule (baseline)", None), (f"verdict in use {rule}", rule)):
        hit, refused, foreign = held.figures(used)
        sample_refused = share(not p.answered(used) for p in near)
        twin_hit = share(p.hit(used) for p in twins)
        all_near = share(not p.answered(used) for p in [*held.near, *near])
        print(f"  {label}")
        shown = share(p.shown_hit(used) for p in held.answerable)
        print(
            f"    SQuAD dev hit@1 {hit:6.1%} (first quote shown, answered or not: {shown:.1%})"
            f"   off-topic answered {foreign:5.1%}"
        )
        print(
            f"    near misses refused {all_near:6.1%} (train articles {refused:.1%}, sample {sample_refused:.1%});"
            f" sample twins answered with the right quote {twin_hit:.1%}"
        )
        print(
            f"    SQuAD 2.0 framing, dev answerable + all near misses: {squad_two(held.answerable, [*held.near, *near], used)}"
        )
        print(f"    SQuAD 2.0 framing, sample twins + near misses:       {squad_two(twins, near, used)}")
    print(
        f"  answer_question (the /ask path) agrees with the offline verdict on {agree} of {2 * len(near)} sample questions"
    )


async def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    spec = json.loads((HERE / "near_misses.json").read_text())
    train_all = squad.load_train()
    picked = sorted(random.Random(SEED).sample(range(len(train_all)), 40))[: args.train_articles]
    train = [train_all[i] for i in picked]
    by_title = {a.title: a for a in train_all}
    calibrating = [
        n for n in spec["squad_train"] if n["split"] == "calibrate" and n["title"] in {a.title for a in train}
    ]
    held_near = [n for n in spec["squad_train"] if n["split"] == "held-out"]
    dev = squad.load()[: args.dev_articles]

    print(
        "no public copy of SQuAD 2.0's train split in a package registry: near misses written by hand"
        f" ({len(spec['squad_train'])} on SQuAD train articles, {len(spec['sample'])} on the sample article)"
    )
    words_train = await train_probes(train, calibrating, None)
    best = calibrate(words_train, "words alone")
    print(f"  in use: {WORDS_RULE}" + ("" if best == WORDS_RULE else f"  (calibration now picks {best})"))
    held = await held_out_probes(dev, by_title, held_near, None)
    near, twins, agree = await sample_probes(spec["sample"], None)
    report("words alone", held, near, twins, rule=WORDS_RULE, agree=agree)
    print(f"\n({time.perf_counter() - started:.0f} s so far)", file=sys.stderr)

    if args.meaning_articles:
        from minilm import EmbeddingServer, MiniLM
        from semantic import embedder_for

        async with EmbeddingServer(MiniLM()) as server:
            embedder = embedder_for(server.url)
            meaning_train = await train_probes(
                train[: args.meaning_articles],
                [n for n in calibrating if n["title"] in {a.title for a in train[: args.meaning_articles]}],
                embedder,
            )
            best = calibrate(meaning_train, "with MiniLM", bar=WORDS_RULE)
            print(
                f"  in use: {MEANING_RULE}"
                + ("" if best == MEANING_RULE else f"  (calibration now picks {best})")
            )
            held_m = await held_out_probes(dev[: args.meaning_articles], by_title, held_near, embedder)
            near_m, twins_m, agree_m = await sample_probes(spec["sample"], embedder)
            report("with MiniLM", held_m, near_m, twins_m, rule=MEANING_RULE, agree=agree_m)
            await embedder.close()
    print(f"\n{time.perf_counter() - started:.0f} s in all", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train-articles", type=int, default=40, help="calibration articles (at most 40)")
    parser.add_argument("--dev-articles", type=int, default=48, help="held-out SQuAD dev articles")
    parser.add_argument(
        "--meaning-articles",
        type=int,
        default=12,
        help="train and dev articles for the MiniLM part (0: skip it)",
    )
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
