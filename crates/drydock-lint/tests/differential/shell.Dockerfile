FROM debian:bookworm-slim AS base
RUN service nginx start && ps aux
RUN cd /tmp && sudo make install
RUN useradd -u 1000000 app && useradd -l -u 2000000 svc && useradd -u 10001 small
RUN wget https://downloads.example.test/a.tgz && wget -q https://downloads.example.test/b.tgz
RUN curl -fsSLo /tmp/c.tgz https://downloads.example.test/c.tgz
RUN ln -sf /bin/bash /bin/sh
RUN curl -fsSL https://downloads.example.test/tool.tgz | tar -xz -C /opt
RUN set -o pipefail && curl -fsSL https://downloads.example.test/x.tgz | tar -xz -C /opt
RUN <<EOF
set -e
cd /opt
cat /etc/os-release | grep VERSION
EOF

FROM debian:bookworm-slim AS other
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN cat /etc/os-release | grep VERSION
RUN wget --progress=dot:giga https://downloads.example.test/d.tgz

FROM base
RUN cat /etc/os-release | grep ID

COPY --from=other /etc/os-release /other
