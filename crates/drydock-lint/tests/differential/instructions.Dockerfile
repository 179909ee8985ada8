FROM node:22-slim
MAINTAINER Jane Doe <jane@example.test>
WORKDIR app
WORKDIR /srv/app
EXPOSE 80800
EXPOSE 80 443/tcp 8000-8010/udp
ENV APP_HOME=/srv/app PYTHONPATH=$APP_HOME/lib
ENV PATH=/opt/bin:$PATH
LABEL Version=1.2.0 org.opencontainers.image.version=1.2.0
ADD requirements.txt /srv/
ADD vendor.tar.gz /opt/
COPY pyproject.toml uv.lock /app
COPY a.txt b.txt /app/
ADD a.txt b.txt /srv/data
COPY site.tar.gz /tmp/
RUN tar -xzf /tmp/site.tar.gz -C /srv
COPY docs.zip /tmp/
RUN unzip /tmp/docs.zip -d /srv/docs
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
HEALTHCHECK CMD ["curl", "-f", "http://localhost/health"]
CMD node server.js
CMD ["node", "server.js"]
ENTRYPOINT ["/usr/local/bin/setup.sh"]
ENTRYPOINT /usr/local/bin/start.sh
