FROM debian:12
RUN <<EOF bash
sudo ls
cd /tmp
EOF
