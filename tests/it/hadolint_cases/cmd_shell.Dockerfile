FROM debian:12
CMD python app.py
ENTRYPOINT /bin/app
