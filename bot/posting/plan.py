"""The schedule of a posting: which messages go out, in what order, and when.

What each message says is :mod:`bot.discordfmt.posting`.
"""

from __future__ import annotations

import datetime as dt

from bot.discordfmt.posting import split_comment
from bot.domain.article import Article
from bot.domain.posting import PlanItem
from bot.domain.schedule import Schedule


def plan_posting(article: Article, *, pace_minutes: int, with_comments: bool) -> list[PlanItem]:
    """The items in order: intro, one per section (paced), then the comments thread and comments."""
    items = [PlanItem(1, "intro")]
    for number, section in enumerate(article.sections):
        items.append(
            PlanItem(len(items) + 1, "section", section=section.index, offset_minutes=number * pace_minutes)
        )
    if with_comments and article.comments:
        last = items[-1].offset_minutes
        items.append(PlanItem(len(items) + 1, "comments", offset_minutes=last))
        for comment in article.comments:
            for part in range(1, len(split_comment(comment.text)) + 1):
                items.append(
                    PlanItem(len(items) + 1, "comment", comment=comment.index, part=part, offset_minutes=last)
                )
    return items


def due_time(start: dt.datetime, item: PlanItem) -> dt.datetime:
    """When ``item`` is due in a posting started at ``start``: its offset from the start, in ``start``'s zone."""
    return start + dt.timedelta(minutes=item.offset_minutes)


def scheduled_due(items: list[PlanItem], schedule: Schedule, start: dt.datetime) -> list[dt.datetime]:
    """When each item falls due in a posting released on ``schedule`` from ``start``: the intro
    at once (it shows the releases), each section at its release, the comments with the last."""
    releases = iter(schedule.releases(start, sum(1 for item in items if item.kind == "section")))
    due, released = [], start
    for item in items:
        if item.kind == "section":
            released = next(releases)
        due.append(released)
    return due
