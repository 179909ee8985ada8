FROM debian:bookworm-slim
ONBUILD RUN apt-get install -y curl
ONBUILD RUN sudo make && wget https://downloads.example.test/x
ONBUILD COPY . /app
