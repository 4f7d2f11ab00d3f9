FROM debian:12
ADD file /x
ADD http://x/y.tar.gz /x
ADD archive.tar.gz /x/
ADD --chown=a:b f /x
ADD git@github.com:a/b.git /x
