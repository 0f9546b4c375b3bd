"""The agent: a LangChain `create_agent` driving ChatOpenAI over the core's tools.

Any OpenAI-compatible server works (OpenAI, Ollama, vLLM, llama.cpp, LM Studio). The caller
falls back to the offline answer on any failure; this module only has to fail loudly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import openai
from langchain.agents import create_agent
from langchain.agents.middleware import ToolCallLimitMiddleware
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_openai import ChatOpenAI

from bot.core.agent.prompts import Prompts
from bot.core.agent.tools import CURRENT, TurnState, core_tools
from bot.core.profiles import Turn

log = logging.getLogger(__name__)

MAX_HISTORY_TURNS = 8
MAX_TOOL_ROUNDS = 6
MAX_TOOL_CALLS = 12  # per message, across rounds
STREAM_HOLD_CHARS = 80  # the tail of a stream is held back until it is checked for leaks


class ModelOutputRejected(Exception):
    """The model's reply cannot be sent (empty, or it repeated hidden text)."""


class LLMAnswerer:
    def __init__(
        self,
        prompts: Prompts,
        model: str,
        api_key: str,
        base_url: str | None,
        timeout: float,
        max_retries: int = 2,
    ) -> None:
        self.prompts = prompts
        self._secrets = [api_key] if len(api_key) >= 8 else []
        # An HTTP client of our own: LangChain's shared default outlives event loops. On aiohttp's
        # transport: httpcore's pool costs time quadratic in the requests in flight, which
        # with a few hundred users at once took most of the event loop.
        self._http = openai.DefaultAioHttpClient(timeout=timeout)
        self.model = ChatOpenAI(
            http_async_client=self._http,
            model=model,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,  # the openai client backs off on 429 and 5xx
            streaming=True,
            temperature=0.3,
        )
        # A model that asks for hundreds of tool calls at once gets MAX_TOOL_CALLS run, the
        # rest refused (each told so), instead of hundreds of searches on one message.
        limit = ToolCallLimitMiddleware(run_limit=MAX_TOOL_CALLS, exit_behavior="continue")
        self.agent = create_agent(self.model, core_tools(), system_prompt=prompts.system, middleware=[limit])

    async def ping(self) -> None:
        """Ask the server for its models: reachable and the key accepted, at no token cost."""
        await self.model.root_async_client.models.list()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def condense(self, history: Sequence[Turn], question: str) -> str:
        """A follow-up as a standalone retrieval query, written by the model."""
        lines = "\n".join(f"{t.role}: {t.text[:400]}" for t in history[-4:])
        prompt = self.prompts.condense.replace("{history}", lines).replace("{question}", question)
        reply = await self.model.ainvoke([HumanMessage(prompt)])
        query = str(reply.content).strip().splitlines()[0] if str(reply.content).strip() else ""
        return query[:300] or question

    async def answer(
        self,
        state: TurnState,
        history: Sequence[Turn],
        text: str,
        on_token: Callable[[str], Any] | None = None,
        hint: str | None = None,
    ) -> str:
        messages: list[BaseMessage] = []
        for turn in list(history)[-MAX_HISTORY_TURNS:]:
            messages.append(HumanMessage(turn.text) if turn.role == "user" else AIMessage(turn.text))
        content = text if hint is None else f"{text}\n\n(Standalone search query for this message: {hint})"
        messages.append(HumanMessage(content))

        token = CURRENT.set(state)
        pieces: list[str] = []
        shown = 0  # characters passed on to on_token
        leaked = False
        final = ""
        try:
            config = {"recursion_limit": 2 * MAX_TOOL_ROUNDS + 1}
            async for chunk, _meta in self.agent.astream(
                {"messages": messages}, config, stream_mode="messages"
            ):
                if isinstance(chunk, AIMessageChunk) and not chunk.tool_call_chunks and chunk.content:
                    piece = chunk.text if hasattr(chunk, "text") else str(chunk.content)
                    if isinstance(piece, str) and piece:
                        pieces.append(piece)
                        written = "".join(pieces)
                        leaked = leaked or self._leaks(written)
                        # Only text far enough behind the newest piece is shown: a leak that
                        # starts now is caught before any of it leaves.
                        if on_token is not None and not leaked and len(written) - STREAM_HOLD_CHARS > shown:
                            on_token(written[shown : len(written) - STREAM_HOLD_CHARS])
                            shown = len(written) - STREAM_HOLD_CHARS
                elif isinstance(chunk, AIMessage) and chunk.content and not chunk.tool_calls:
                    final = str(chunk.content)
        finally:
            CURRENT.reset(token)
        reply = ("".join(pieces) or final).strip()
        if not reply:
            raise ModelOutputRejected("the model returned no text")
        if self._leaks(reply):
            raise ModelOutputRejected("the reply repeated hidden instructions or a secret")
        return reply

    def _leaks(self, text: str) -> bool:
        return self.prompts.leaked_in(text, self._secrets)
