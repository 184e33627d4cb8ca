"""What the intro's "Remind me" button and ``/article settings reminder…`` answer, as plain text."""

from __future__ import annotations

REMIND_LABEL = "Remind me"
REMIND_ID = "readalong:remind"
"""The button's custom id: the same on every intro, so a press is answered after a restart too."""
OFF = "Reminders are off in this server: an admin turns them on with `/article settings reminders:True`."
NO_ROLE = "This server has no reminder role yet: an admin names one with `/article settings reminder_role:`."
ROLE_GONE = (
    "The reminder role no longer exists: an admin names another with `/article settings reminder_role:`."
)


def missing_manage_roles() -> str:
    """Without Manage Roles the bot can give nobody a role: said, and nothing else changes."""
    return (
        "I need the **Manage Roles** permission to give you the reminder role; nothing was changed."
        " An admin can grant it to my role (it is optional: only reminders need it)."
    )


def role_too_high(role_id: int) -> str:
    """Discord lets a bot give only roles below its own highest."""
    return (
        f"I cannot give <@&{role_id}>: it is not below my highest role, so Discord refuses."
        " An admin can move my role above it. Nothing was changed."
    )


def reminded(role_id: int, *, on: bool) -> str:
    """The member's new state, and how to undo it."""
    if on:
        return (
            f"You have <@&{role_id}> now: I'll mention it when each section is released. Press again to stop."
        )
    return f"No more reminders: <@&{role_id}> was taken away. Press again to get them back."


def settings_line(role_id: int | None, on: bool) -> str:
    """``/article settings``' line on reminders, in the style of the others."""
    role = f"the role <@&{role_id}>" if role_id is not None else "no role yet"
    return (
        f"Release reminders: **{'on' if on else 'off'}**, mentioning {role} (members opt in with the"
        " intro's Remind me button). Change them with `reminders:` and `reminder_role:`."
    )
