"""A fake Telegram Bot API on 127.0.0.1 for the real python-telegram-bot.

It keeps chats and messages, serves getUpdates by long polling, and enforces the rules the
bot must respect: 4,096 characters, HTML entity parsing, "message is not modified", 429 with
retry_after when asked to, and the webhook's secret token.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.openai_server import free_port

BOT_ID = 777000
BOT_USERNAME = "coach_test_bot"
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "tg-spoiler", "span", "blockquote", "tg-emoji"}  # fmt: skip
TOKEN = re.compile(r"<[^>]*>|&[a-zA-Z#0-9]*;|&|<")


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def parse_html(text: str) -> str:
    """The visible text of Telegram HTML, or ApiError as Telegram words it."""
    visible: list[str] = []
    stack: list[str] = []
    position = 0
    for match in TOKEN.finditer(text):
        visible.append(text[position : match.start()])
        token = match.group(0)
        position = match.end()
        if token in {"&", "<"}:
            raise ApiError(
                400, f"Bad Request: can't parse entities: Unexpected character at byte offset {match.start()}"
            )
        if token.startswith("&"):
            if token not in {"&lt;", "&gt;", "&amp;", "&quot;"} and not token.startswith("&#"):
                raise ApiError(400, f"Bad Request: can't parse entities: Unsupported entity {token}")
            visible.append({"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}.get(token, "?"))
            continue
        name = re.match(r"</?\s*([a-zA-Z-]+)", token)
        if name is None or name.group(1).lower() not in ALLOWED_TAGS:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{token}"')
        tag = name.group(1).lower()
        if token.startswith("</"):
            if not stack or stack[-1] != tag:
                raise ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
            stack.pop()
        else:
            stack.append(tag)
    visible.append(text[position:])
    if stack:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\"",
        )
    return "".join(visible)


@dataclass
class Sent:
    method: str
    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    at: float


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN"
    port: int = field(default_factory=free_port)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    flood: dict[str, int] = field(default_factory=dict)  # method -> how many 429s to answer next
    failing: dict[str, int] = field(default_factory=dict)  # method -> how many HTTP 500s to answer next
    webhook: dict[str, Any] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._new_update = asyncio.Event()
        self._changed = asyncio.Condition()
        self.blocked: set[int] = set()  # chats whose person blocked the bot

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- the API --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if token != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        self.calls.append((method, params))
        try:
            if self.failing.get(method, 0) > 0:
                self.failing[method] -= 1
                raise ApiError(500, "Internal Server Error")
            if self.flood.get(method, 0) > 0:
                self.flood[method] -= 1
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            result = await getattr(self, f"api_{method}")(params)
        except ApiError as error:
            body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(body, status=error.code)
        except AttributeError:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = str(value)
            try:
                params[key] = json.loads(text) if text[:1] in "{[" or text in {"true", "false"} else text
            except json.JSONDecodeError:
                params[key] = text
        return params

    async def api_getMe(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Coach", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}  # fmt: skip

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset]
            if ready or time.monotonic() >= deadline:
                self._updates = ready
                return ready
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), max(0.01, deadline - time.monotonic()))

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if int(params["chat_id"]) in self.blocked:  # what Telegram answers once a person blocks the bot
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        text = str(params.get("text", ""))
        visible = parse_html(text) if params.get("parse_mode") == "HTML" else text
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(visible) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        chat_id = int(params["chat_id"])
        message_id = next(self._message_ids)
        markup = params.get("reply_markup")
        message = {"message_id": message_id, "date": int(time.time()), "text": visible,
                   "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                   "from": await self.api_getMe({})}  # fmt: skip
        self.messages[(chat_id, message_id)] = {"text": text, "markup": markup}
        await self._record(
            Sent("sendMessage", chat_id, message_id, text, params.get("parse_mode"), markup, time.monotonic())
        )
        return message

    async def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        text = str(params.get("text", ""))
        visible = parse_html(text) if params.get("parse_mode") == "HTML" else text
        if len(visible) > 4096:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        old = self.messages.get((chat_id, message_id))
        if old is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if old["text"] == text and old["markup"] == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            )
        self.messages[(chat_id, message_id)] = {"text": text, "markup": markup}
        await self._record(
            Sent(
                "editMessageText",
                chat_id,
                message_id,
                text,
                params.get("parse_mode"),
                markup,
                time.monotonic(),
            )
        )
        return {"message_id": message_id, "date": int(time.time()), "text": visible,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}}  # fmt: skip

    async def _record(self, sent: Sent) -> None:
        async with self._changed:
            self.sent.append(sent)
            self._changed.notify_all()

    async def api_sendChatAction(self, _: dict[str, Any]) -> bool:
        return True

    async def api_answerCallbackQuery(self, _: dict[str, Any]) -> bool:
        return True

    async def api_setMyCommands(self, _: dict[str, Any]) -> bool:
        return True

    async def api_deleteWebhook(self, _: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    async def api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    # -- driving it from tests --------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._new_update.set()
        return update["update_id"]

    @staticmethod
    def message(user_id: int, text: str | None = None, chat_id: int | None = None, chat_type: str = "private",
                reply_to: int | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
        chat_id = chat_id if chat_id is not None else user_id
        message: dict[str, Any] = {
            "message_id": next(_incoming), "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type, **({"title": "Group"} if chat_type != "private" else {})},
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            **extra,
        }  # fmt: skip
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": reply_to, "date": int(time.time()), "text": "earlier",
                "chat": message["chat"], "from": {"id": BOT_ID, "is_bot": True, "first_name": "Coach", "username": BOT_USERNAME},
            }  # fmt: skip
        return message

    def say(self, user_id: int, text: str, **kwargs: Any) -> int:
        return self.push({"message": self.message(user_id, text, **kwargs)})

    def click(self, user_id: int, chat_id: int, message_id: int, data: str) -> int:
        return self.push({"callback_query": {
            "id": str(next(_incoming)), "chat_instance": "ci", "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "message": {"message_id": message_id, "date": int(time.time()), "text": "x",
                        "chat": {"id": chat_id, "type": "private"}},
        }})  # fmt: skip

    async def wait_sent(self, count: int, chat_id: int | None = None, timeout: float = 15.0,
                        method: str | None = None) -> list[Sent]:  # fmt: skip
        """Wait until `count` messages (after the current ones) reach the chat."""

        def matching() -> list[Sent]:
            return [
                s
                for s in self.sent
                if (chat_id is None or s.chat_id == chat_id) and (method is None or s.method == method)
            ]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(matching()) >= count), timeout)
            return matching()

    def texts(self, chat_id: int, method: str = "sendMessage") -> list[str]:
        return [s.text for s in self.sent if s.chat_id == chat_id and s.method == method]

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()


_incoming = itertools.count(1)
