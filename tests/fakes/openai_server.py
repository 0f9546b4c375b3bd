"""An OpenAI-compatible fake on 127.0.0.1, so the real `openai` client runs in tests.

It serves /v1/embeddings with the deterministic hash vectors of tests/fakes/embedder.py, and
/v1/chat/completions from a script of steps (text, tool calls, errors, delays), streamed as
server-sent events when asked. It records every request. It runs in a thread with its own
event loop, so both synchronous tests (CLI subprocesses) and async tests can use it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.embedder import hash_vector


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FakeOpenAI:
    port: int = field(default_factory=free_port)
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_embeddings: bool = False
    # Each chat request takes the next step: {"content": str}, {"tool_calls": [{"name", "arguments"}]},
    # {"status": int}, {"delay": seconds, ...}. With no step left it answers DEFAULT_REPLY.
    script: deque[dict[str, Any]] = field(default_factory=deque)
    chat_requests: list[dict[str, Any]] = field(default_factory=list)
    default_delay: float = 0.0

    DEFAULT_REPLY = "Here is what I found in the knowledge base."

    def reset(self) -> None:
        self.script.clear()
        self.chat_requests.clear()
        self.default_delay = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"path": request.path, "body": body})
        if self.fail_embeddings:
            return web.json_response({"error": {"message": "down", "type": "server_error"}}, status=503)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": hash_vector(str(text))}
            for i, text in enumerate(inputs)
        ]
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "fake"),
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        )

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "test"}],
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.chat_requests.append(body)
        step = self.script.popleft() if self.script else {"content": self.DEFAULT_REPLY}
        await asyncio.sleep(step.get("delay", self.default_delay))
        if "status" in step:
            headers = {"retry-after": str(step.get("retry_after", 0))}
            error = {"error": {"message": step.get("message", "fake failure"), "type": "server_error"}}
            return web.json_response(error, status=step["status"], headers=headers)
        if step.get("echo_system"):
            step = {"content": next(m["content"] for m in body["messages"] if m["role"] == "system")}
        tool_calls = [
            {
                "id": f"call_{i}_{len(self.chat_requests)}",
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": call["arguments"]
                    if isinstance(call["arguments"], str)
                    else json.dumps(call["arguments"]),
                },
            }
            for i, call in enumerate(step.get("tool_calls", []))
        ]
        content = step.get("content")
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if tool_calls:
                message["tool_calls"] = tool_calls
            return web.json_response(
                self._completion(
                    body,
                    {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"},
                )
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = self._completion(body, {"index": 0, "delta": delta, "finish_reason": finish}, chunk=True)
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        for piece in _pieces(content or ""):
            await send({"content": piece})
            await asyncio.sleep(step.get("token_delay", 0))
        for index, call in enumerate(tool_calls):
            await send({"tool_calls": [{"index": index, **call}]})
        await send({}, "tool_calls" if tool_calls else "stop")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    @staticmethod
    def _completion(body: dict[str, Any], choice: dict[str, Any], chunk: bool = False) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk" if chunk else "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [choice],
        }

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_post("/v1/embeddings", self._embeddings)
        application.router.add_post("/v1/chat/completions", self._chat)
        application.router.add_get("/v1/models", self._models)
        return application

    def start(self) -> None:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._runner = web.AppRunner(self.app())
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def _pieces(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]
