FROM debian:12
RUN sudo -u app ls
RUN env sudo ls
