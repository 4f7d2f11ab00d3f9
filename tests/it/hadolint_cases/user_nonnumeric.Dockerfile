FROM debian:12
USER app:app
USER 1000
USER ${U}
