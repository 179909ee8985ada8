# differential: enable=DL3057
FROM nginx:1.27
HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]
EXPOSE 80
