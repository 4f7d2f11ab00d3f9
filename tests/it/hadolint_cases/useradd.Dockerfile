FROM debian:12
RUN useradd -u 123456 app
RUN useradd -l -u 123456 app
RUN useradd -u 1000 app
RUN useradd --uid 200000 app
RUN useradd --no-log-init -u 200000 app
