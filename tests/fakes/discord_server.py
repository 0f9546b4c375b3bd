"""A fake Discord REST API and gateway on 127.0.0.1 for the real discord.py.

It speaks the gateway (HELLO, IDENTIFY, READY, heartbeats, GUILD_CREATE, dispatches) and the
REST calls the bot makes, and it enforces Discord's rules: an interaction is acknowledged
once and within 3 seconds, messages hold at most 2,000 characters, embeds stay in their limits.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.openai_server import free_port

BOT_ID, APP_ID, GUILD_ID, CHANNEL_ID, ADMIN_ROLE, MANAGER_ROLE = 9000, 9001, 100, 200, 300, 301
BOT_USER = {
    "id": str(BOT_ID),
    "username": "coach",
    "discriminator": "0",
    "bot": True,
    "avatar": None,
    "global_name": "Coach",
}
NOW = "2024-01-01T00:00:00+00:00"


class Refused(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py reads a body as JSON only when the content type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def user(user_id: int) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": f"user{user_id}",
        "discriminator": "0",
        "avatar": None,
        "global_name": None,
    }


def check_message(body: dict[str, Any]) -> None:
    content = body.get("content") or ""
    if len(content) > 2000:
        raise Refused(400, 50035, "Invalid Form Body: content: Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise Refused(400, 50035, "Invalid Form Body: embeds: Must be 10 or fewer in length.")
    for embed in embeds:
        total = len(embed.get("title") or "") + len(embed.get("description") or "")
        if len(embed.get("title") or "") > 256 or len(embed.get("description") or "") > 4096:
            raise Refused(400, 50035, "Invalid Form Body: embed title or description too long")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise Refused(400, 50035, "Invalid Form Body: embeds.fields: Must be 25 or fewer in length.")
        for item in fields:
            if len(item["name"]) > 256 or len(item["value"]) > 1024 or not item["value"]:
                raise Refused(400, 50035, "Invalid Form Body: embeds.fields: bad name or value length")
            total += len(item["name"]) + len(item["value"])
        if total > 6000:
            raise Refused(400, 50035, "Invalid Form Body: embeds: total length over 6000")


@dataclass
class Posted:
    kind: str  # "callback", "followup", "edit", "channel", "delete"
    body: dict[str, Any]
    interaction: str | None = None
    channel_id: str | None = None
    message_id: str | None = None


@dataclass
class FakeDiscord:
    port: int = field(default_factory=free_port)
    posted: list[Posted] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    identify: dict[str, Any] = field(default_factory=dict)
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    dispatched_at: dict[str, float] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    ack_deadline: float = 3.0
    originals: dict[str, str] = field(default_factory=dict)  # interaction id -> its response message id

    def __post_init__(self) -> None:
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self._ids = itertools.count(10_000)
        self._changed = asyncio.Condition()
        self.ready = asyncio.Event()
        self.synced_to: list[str] = []  # "global" or a guild id, per command sync
        self.closed_dms: set[int] = set()  # people who closed their DMs to the bot

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gw"

    # -- gateway --------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            payload = message.json()
            if payload["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:
                self.identify = payload["d"]
                shard = payload["d"].get("shard", [0, 1])
                await self._send(ws, "READY", {
                    "v": 10, "user": BOT_USER, "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                    "session_id": "session", "resume_gateway_url": self.gateway, "shard": shard,
                    "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [], "relationships": [],
                })  # fmt: skip
                await self._send(ws, "GUILD_CREATE", self.guild())
                self.ready.set()
        self._sockets.remove(ws)
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        for ws in list(self._sockets):
            await self._send(ws, event, data)

    @staticmethod
    def guild() -> dict[str, Any]:
        def role(role_id: int, name: str, permissions: str, position: int) -> dict[str, Any]:
            return {"id": str(role_id), "name": name, "permissions": permissions, "position": position, "color": 0,
                    "hoist": False, "managed": False, "mentionable": False, "flags": 0}  # fmt: skip

        return {
            "id": str(GUILD_ID), "name": "Test server", "icon": None, "owner_id": "1",
            "roles": [role(GUILD_ID, "@everyone", "0", 0), role(ADMIN_ROLE, "coach-admins", "0", 1),
                      role(MANAGER_ROLE, "managers", str(1 << 5), 2)],
            "channels": [{"id": str(CHANNEL_ID), "type": 0, "name": "general", "position": 0, "permission_overwrites": [],
                          "guild_id": str(GUILD_ID), "nsfw": False, "parent_id": None, "topic": None, "rate_limit_per_user": 0}],
            "members": [{"user": BOT_USER, "roles": [], "joined_at": NOW, "deaf": False, "mute": False, "flags": 0}],
            "member_count": 3, "large": False, "unavailable": False, "features": [], "emojis": [], "stickers": [],
            "threads": [], "voice_states": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "premium_tier": 0, "system_channel_flags": 0, "preferred_locale": "en-US", "nsfw_level": 0,
            "joined_at": NOW, "afk_timeout": 300,
        }  # fmt: skip

    # -- driving it -------------------------------------------------------------------------

    def member(self, user_id: int, roles: list[int] | None = None) -> dict[str, Any]:
        return {"user": user(user_id), "roles": [str(r) for r in roles or []], "joined_at": NOW, "deaf": False,
                "mute": False, "flags": 0, "permissions": "0"}  # fmt: skip

    async def command(self, user_id: int, name: str, options: list[dict[str, Any]] | None = None,
                      roles: list[int] | None = None, dm: bool = False, kind: int = 2) -> str:  # fmt: skip
        interaction_id = str(next(self._ids))
        data: dict[str, Any] = {
            "id": interaction_id, "application_id": str(APP_ID), "type": kind, "token": f"tok{interaction_id}",
            "version": 1, "locale": "en-US", "app_permissions": "2147483647", "entitlements": [],
            "authorizing_integration_owners": {}, "attachment_size_limit": 8388608,
            "data": {"id": str(abs(hash(name)) % 10**8), "name": name, "type": 1, "options": options or []},
        }  # fmt: skip
        if dm:
            data.update(channel_id=str(user_id + 1), user=user(user_id), context=1,
                        channel={"id": str(user_id + 1), "type": 1, "recipients": [user(user_id)]})  # fmt: skip
        else:
            data.update(guild_id=str(GUILD_ID), channel_id=str(CHANNEL_ID), member=self.member(user_id, roles),
                        guild_locale="en-US", context=0, channel=self.guild()["channels"][0])  # fmt: skip
        self.dispatched_at[interaction_id] = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", data)
        return interaction_id

    async def click(self, user_id: int, custom_id: str, message_id: str) -> str:
        interaction_id = str(next(self._ids))
        data = {
            "id": interaction_id, "application_id": str(APP_ID), "type": 3, "token": f"tok{interaction_id}",
            "version": 1, "locale": "en-US", "app_permissions": "2147483647", "entitlements": [],
            "authorizing_integration_owners": {}, "attachment_size_limit": 8388608,
            "guild_id": str(GUILD_ID), "channel_id": str(CHANNEL_ID), "member": self.member(user_id), "context": 0,
            "channel": self.guild()["channels"][0],
            "data": {"custom_id": custom_id, "component_type": 2},
            "message": self.messages.get(message_id) or self.message_json(message_id, str(CHANNEL_ID), {"content": "x"}),
        }  # fmt: skip
        self.dispatched_at[interaction_id] = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", data)
        return interaction_id

    async def say(self, user_id: int, content: str, mention: bool = False, dm: bool = False,
                  reply_to: str | None = None) -> str:  # fmt: skip
        message_id = str(next(self._ids))
        data: dict[str, Any] = {
            "id": message_id, "channel_id": str(user_id + 1 if dm else CHANNEL_ID), "author": user(user_id),
            "content": content, "timestamp": NOW, "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [BOT_USER] if mention else [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "type": 19 if reply_to else 0, "flags": 0, "components": [],
        }  # fmt: skip
        if not dm:
            data["guild_id"] = str(GUILD_ID)
            data["member"] = {k: v for k, v in self.member(user_id).items() if k != "user"}
        if reply_to:
            data["message_reference"] = {
                "message_id": reply_to,
                "channel_id": str(CHANNEL_ID),
                "guild_id": str(GUILD_ID),
            }
            data["referenced_message"] = self.messages[reply_to]
        await self.dispatch("MESSAGE_CREATE", data)
        return message_id

    async def wait_for(self, predicate: Any, timeout: float = 15.0) -> list[Posted]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(predicate(self.posted))), timeout)
            return list(self.posted)

    def for_interaction(self, interaction_id: str) -> list[Posted]:
        return [p for p in self.posted if p.interaction == interaction_id]

    # -- REST -------------------------------------------------------------------------------

    def message_json(self, message_id: str, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"id": message_id, "channel_id": channel_id, "content": body.get("content") or "", "author": BOT_USER,
                "timestamp": NOW, "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
                "mention_roles": [], "attachments": [], "embeds": body.get("embeds") or [], "pinned": False,
                "type": 0, "flags": body.get("flags") or 0, "components": body.get("components") or []}  # fmt: skip

    async def _record(self, posted: Posted) -> None:
        async with self._changed:
            self.posted.append(posted)
            self._changed.notify_all()

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        body: dict[str, Any] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type.startswith("multipart"):
                form = await request.post()
                body = json.loads(str(form.get("payload_json", "{}")))
        try:
            result = await self._route(request.method, path.strip("/").split("/"), body)
        except Refused as refused:
            return _json({"code": refused.code, "message": refused.message}, refused.status)
        if result is None:
            return web.Response(status=204)
        return _json(result)

    async def _route(self, method: str, parts: list[str], body: dict[str, Any]) -> Any:
        match (method, parts):
            case ("GET", ["users", "@me"]):
                return BOT_USER
            case ("GET", ["oauth2", "applications", "@me"]):
                return {"id": str(APP_ID), "name": "Coach", "icon": None, "description": "", "summary": "",
                        "bot_public": True, "bot_require_code_grant": False, "verify_key": "k", "flags": 0,
                        "owner": user(1), "team": None}  # fmt: skip
            case ("GET", ["gateway", "bot"]):
                return {"url": self.gateway, "shards": 1,
                        "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}  # fmt: skip
            case ("GET", ["gateway"]):
                return {"url": self.gateway}
            case ("PUT", ["applications", _, "commands"]) | (
                "PUT",
                ["applications", _, "guilds", _, "commands"],
            ):
                self.synced_to.append(parts[3] if len(parts) == 5 else "global")
                self.commands = [
                    {**c, "id": str(i + 1), "application_id": str(APP_ID), "version": "1"}
                    for i, c in enumerate(body)
                ]
                return self.commands
            case ("POST", ["interactions", interaction_id, _token, "callback"]):
                return await self._callback(interaction_id, body)
            case ("POST", ["webhooks", _, token]):
                interaction_id = token.removeprefix("tok")
                if interaction_id not in self.acknowledged:
                    raise Refused(404, 10015, "Unknown Webhook")
                check_message(body)
                message_id = str(next(self._ids))
                self.messages[message_id] = self.message_json(message_id, str(CHANNEL_ID), body)
                await self._record(Posted("followup", body, interaction_id, message_id=message_id))
                return self.messages[message_id]
            case ("PATCH", ["webhooks", _, token, "messages", message_id]):
                check_message(body)
                interaction_id = token.removeprefix("tok")
                if message_id == "@original":
                    message_id = self.originals.setdefault(interaction_id, str(next(self._ids)))
                self.messages[message_id] = self.message_json(
                    message_id, str(CHANNEL_ID), {**self.messages.get(message_id, {}), **body}
                )
                await self._record(Posted("edit", body, interaction_id, message_id=message_id))
                return self.messages[message_id]
            case ("DELETE", ["webhooks", _, token, "messages", message_id]):
                await self._record(Posted("delete", {}, token.removeprefix("tok"), message_id=message_id))
                return None
            case ("POST", ["users", "@me", "channels"]):
                recipient = int(body["recipient_id"])  # a DM channel, as Discord creates one
                return {
                    "id": str(recipient + 1),
                    "type": 1,
                    "recipients": [user(recipient)],
                    "last_message_id": None,
                }
            case ("POST", ["channels", channel_id, "typing"]):
                return None
            case ("GET", ["users", user_id]) if user_id.isdigit():
                return user(int(user_id))
            case ("POST", ["channels", channel_id, "messages"]) if int(channel_id) - 1 in self.closed_dms:
                raise Refused(
                    403, 50007, "Cannot send messages to this user"
                )  # a DM channel is recipient + 1
            case ("POST", ["channels", channel_id, "messages"]):
                check_message(body)
                message_id = str(next(self._ids))
                self.messages[message_id] = self.message_json(message_id, channel_id, body)
                await self._record(Posted("channel", body, channel_id=channel_id, message_id=message_id))
                return self.messages[message_id]
            case ("POST", ["channels", channel_id, "messages", message_id, "threads"]):
                thread_id = str(next(self._ids))
                await self._record(Posted("thread", body, channel_id=channel_id, message_id=thread_id))
                return {"id": thread_id, "type": 11, "name": body.get("name", "thread"), "parent_id": channel_id,
                        "guild_id": str(GUILD_ID), "owner_id": str(BOT_ID), "message_count": 0, "member_count": 1,
                        "rate_limit_per_user": 0, "flags": 0,
                        "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": NOW, "locked": False}}  # fmt: skip
        raise Refused(404, 0, f"404: Not Found {method} {'/'.join(parts)}")

    async def _callback(self, interaction_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if interaction_id in self.acknowledged:
            raise Refused(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - self.dispatched_at.get(interaction_id, 0) > self.ack_deadline:
            raise Refused(404, 10062, "Unknown interaction")
        data = body.get("data") or {}
        if body["type"] == 4:
            check_message(data)
        self.acknowledged[interaction_id] = body
        await self._record(Posted("callback", body, interaction_id))
        resource: dict[str, Any] = {"type": body["type"]}
        if body["type"] in (4, 7):
            message_id = self.originals.setdefault(interaction_id, str(next(self._ids)))
            resource["message"] = self.message_json(message_id, str(CHANNEL_ID), data)
            self.messages[message_id] = resource["message"]
        return {"interaction": {"id": interaction_id, "type": 2, "response_message_loading": body["type"] == 5,
                                "response_message_ephemeral": bool((data.get("flags") or 0) & 64)},
                "resource": resource}  # fmt: skip

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gw", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        await self._runner.cleanup()
