"""People and places: users, guilds, roles, members, channels and permission overwrites."""

from __future__ import annotations

from collections.abc import Iterable

from bot.sandbox import permissions as perms
from bot.sandbox.protocol import OverwriteType
from bot.sandbox.world.common import FORUMS, TEXT, THREADS, ApiError, Payload, invalid_form, iso
from bot.sandbox.world.core import WorldCore


class Places(WorldCore):
    """People and places: users, guilds, roles, members, channels and permission overwrites."""

    # -- people and places ----------------------------------------------------------------------

    def create_user(self, name: str, *, bot: bool = False, display_name: str | None = None) -> Payload:
        """Add a user (a member-to-be or a bot) with a fresh snowflake; a test's setup, not a Discord
        route."""
        user: Payload = {
            "id": self.ids.next(),
            "username": name,
            "discriminator": "0",
            "global_name": display_name,
            "avatar": None,
            "bot": bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }
        self.users[user["id"]] = user
        return user

    def create_guild(self, name: str, owner_id: str, *, shard: tuple[int, int] | None = None) -> Payload:
        """A server; ``shard=(shard_id, num_shards)`` gives it an id on that shard (Discord's ids
        fall on shards by their time; a test that needs a server on shard 1 of 2 asks for one)."""
        guild_id = self.ids.next(shard)
        guild: Payload = {
            "id": guild_id,
            "name": name,
            "icon": None,
            "owner_id": owner_id,
            "features": [],
            "emojis": [],
            "stickers": [],
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "joined_at": iso(self.now()),
            # The rest of Discord's guild object (GET /guilds/{id}), as a plain new server has it.
            "description": None,
            "home_header": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "application_id": None,
            "region": "deprecated",
            "afk_channel_id": None,
            "system_channel_flags": 0,
            "widget_enabled": False,
            "widget_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "max_stage_video_channel_users": 50,
            "max_video_channel_users": 25,
            "vanity_url_code": None,
            "premium_subscription_count": 0,
            "rules_channel_id": None,
            "safety_alerts_channel_id": None,
            "public_updates_channel_id": None,
            "premium_progress_bar_enabled": False,
            "nsfw": False,
            "incidents_data": None,
        }
        self.guilds[guild_id] = guild
        self.roles[guild_id] = {}
        self.members[guild_id] = {}
        self._add_role(guild_id, guild_id, "@everyone", perms.EVERYONE_DEFAULT, position=0)
        return guild

    def _add_role(
        self, guild_id: str, role_id: str, name: str, permissions: int, *, position: int
    ) -> Payload:
        role = {
            "id": role_id,
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "position": position,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
            "icon": None,
            "unicode_emoji": None,
        }
        self.roles[guild_id][role_id] = role
        return role

    def create_role(self, guild_id: str, name: str, permissions: int) -> Payload:
        """Add a role with ``permissions`` to the server and announce it (GUILD_ROLE_CREATE)."""
        self.guild(guild_id)
        role = self._add_role(
            guild_id, self.ids.next(), name, permissions, position=len(self.roles[guild_id])
        )
        self.emit("GUILD_ROLE_CREATE", {"guild_id": guild_id, "role": role})
        return role

    def set_role_permissions(self, guild_id: str, role_id: str, permissions: int) -> None:
        """Change a role's permissions and announce it (GUILD_ROLE_UPDATE), as a test does to take a right
        away mid-run."""
        role = self.roles[guild_id][role_id]
        role["permissions"] = str(permissions)
        self.emit("GUILD_ROLE_UPDATE", {"guild_id": guild_id, "role": role})

    def set_role_position(self, guild_id: str, role_id: str, position: int) -> None:
        """Move a role in the server's hierarchy (as an admin drags it) and announce it (GUILD_ROLE_UPDATE)."""
        role = self.roles[guild_id][role_id]
        role["position"] = position
        self.emit("GUILD_ROLE_UPDATE", {"guild_id": guild_id, "role": role})

    def change_member_role(
        self, guild_id: str, actor_id: str, user_id: str, role_id: str, *, add: bool
    ) -> None:
        """``PUT``/``DELETE /guilds/{g}/members/{u}/roles/{r}`` as Discord's docs have it: Unknown
        Member (10007) or Role (10011); without MANAGE_ROLES, or for a role not below the actor's
        highest (the permissions topic's role hierarchy; the owner excepted), 403 Missing
        Permissions (50013). Not announced, as :meth:`set_member_roles`."""
        member = self.member(guild_id, user_id)
        role = self.roles[guild_id].get(str(role_id))
        if role is None or role_id == guild_id:
            raise ApiError(404, 10011, "Unknown Role")
        guild = self.guild(guild_id)
        if not self.permissions(actor_id, None, guild_id) & perms.MANAGE_ROLES:
            raise ApiError(403, 50013, "Missing Permissions")
        actor_roles = self.member(guild_id, actor_id)["roles"]
        highest = max(
            (self.roles[guild_id][r]["position"] for r in actor_roles if r in self.roles[guild_id]), default=0
        )
        if guild["owner_id"] != actor_id and role["position"] >= highest:
            raise ApiError(403, 50013, "Missing Permissions")
        roles = [r for r in member["roles"] if r != role_id]
        member["roles"] = [*roles, role_id] if add else roles

    def add_member(
        self, guild_id: str, user_id: str, roles: Iterable[str] = (), nick: str | None = None
    ) -> Payload:
        """Make the user a member of the server with ``roles``; a test's setup, not a Discord route."""
        self.guild(guild_id)
        member = {
            "user": self.user(user_id),
            "nick": nick,
            "roles": list(roles),
            "joined_at": iso(self.now()),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "communication_disabled_until": None,
        }
        self.members[guild_id][user_id] = member
        return member

    def set_member_roles(self, guild_id: str, user_id: str, roles: Iterable[str]) -> None:
        """Give the member exactly ``roles``, as an admin does in the server settings. Not announced:
        Discord sends GUILD_MEMBER_UPDATE only with the privileged members intent, which the bot does
        not ask for; its next interaction carries the member's roles as they are now."""
        self.members[guild_id][user_id]["roles"] = list(roles)

    def create_channel(
        self,
        guild_id: str,
        name: str,
        *,
        kind: int = TEXT,
        overwrites: Iterable[Payload] = (),
        tags: Iterable[str] = (),
    ) -> Payload:
        """Add a channel of ``kind`` (text by default) to the server; Discord refuses a name outside 1-100
        characters (50035)."""
        self.guild(guild_id)
        if not 1 <= len(name) <= 100:
            raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        channel: Payload = {
            "id": self.ids.next(),
            "type": kind,
            "guild_id": guild_id,
            "name": name,
            "position": sum(
                1 for c in self.channels.values() if c["guild_id"] == guild_id and c["type"] not in THREADS
            ),
            "permission_overwrites": list(overwrites),
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
            "flags": 0,
        }
        if kind in FORUMS:
            channel |= {
                "available_tags": [
                    {
                        "id": self.ids.next(),
                        "name": tag,
                        "moderated": False,
                        "emoji_id": None,
                        "emoji_name": None,
                    }
                    for tag in tags
                ],
                "default_reaction_emoji": None,
                "default_sort_order": None,
                "default_forum_layout": 0,
                "default_thread_rate_limit_per_user": 0,
            }
        self.channels[channel["id"]] = channel
        self.messages[channel["id"]] = {}
        self.emit("CHANNEL_CREATE", channel)
        return channel

    def set_overwrite(
        self, channel_id: str, target_id: str, *, allow: int = 0, deny: int = 0, member: bool = False
    ) -> None:
        """Set the channel's overwrite for a role (or a member, with ``member``), replacing any it had, and
        announce it (CHANNEL_UPDATE)."""
        channel = self.channel(channel_id)
        rest = [o for o in channel["permission_overwrites"] if o["id"] != target_id]
        rest.append(
            {
                "id": target_id,
                "type": OverwriteType.MEMBER if member else OverwriteType.ROLE,
                "allow": str(allow),
                "deny": str(deny),
            }
        )
        channel["permission_overwrites"] = rest
        self.emit("CHANNEL_UPDATE", channel)
