FROM debian:12
RUN apt-get install -y vim ssh
RUN ps aux | grep x
RUN shutdown -h now
RUN top
RUN free -m
RUN kill 1
RUN mount /x
RUN ifconfig
RUN service x start
