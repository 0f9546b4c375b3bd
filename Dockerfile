# syntax=docker/dockerfile:1
FROM python:3.11-slim

# WITH_LOCAL_MODEL=1 bundles the offline embedding model and a CPU-only torch (about 1 GB);
# 0 leaves them out for deployments that set COACH_EMBEDDINGS=openai.
ARG WITH_LOCAL_MODEL=1
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 COACH_DATA_DIR=/app/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN if [ "$WITH_LOCAL_MODEL" = "1" ]; then \
        pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 && \
        pip install '.[local]'; \
    else \
        pip install .; \
    fi
COPY knowledge ./knowledge
COPY prompts ./prompts

RUN useradd --create-home --uid 10001 coach && mkdir -p /app/data && chown coach /app/data
USER coach
CMD ["coach", "run"]
