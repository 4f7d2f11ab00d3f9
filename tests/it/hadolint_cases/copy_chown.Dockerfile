FROM debian:12
COPY --chown=app:app . /app
COPY --chmod=755 x /y
