FROM debian:12
ENV A=1 B=$A
ENV C=1
ENV D=$C E=${D}
ENV F=x F2=${F:-y}
