FROM debian:12
RUN ln -sfv /bin/bash /bin/sh
RUN ln -s /bin/bash /usr/bin/sh
