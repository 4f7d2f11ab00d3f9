FROM debian:12
COPY . /app
RUN chown -R app:app /app
