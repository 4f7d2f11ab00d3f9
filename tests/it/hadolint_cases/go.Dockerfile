FROM golang:1.22
RUN go install example.com/cmd
RUN go install example.com/cmd@v1.2.3
RUN go install example.com/cmd@latest
RUN go get example.com/x
