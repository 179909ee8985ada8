FROM debian:bookworm
RUN pip install flask==3.0.0 \
    && pip3 install -r requirements.txt
