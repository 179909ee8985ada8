FROM debian:bookworm
ADD --chmod=644 app.conf /etc/app.conf
ADD app.conf /etc/app/
