FROM alpine:3.19
RUN echo $(ls); find -type f; export A="$(ls)"
RUN find -type f; export A="$(ls)"; echo $(ls)
RUN echo $x
RUN x=1 \
  y=2
