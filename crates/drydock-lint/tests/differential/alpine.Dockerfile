FROM alpine:3.20
RUN apk add --no-cache curl git=2.45.2-r0
RUN apk add bash=5.2.26-r0
RUN apk update && apk add --no-cache --virtual .build-deps gcc=13.2.1_git20240309-r0
RUN --mount=type=cache,target=/var/cache/apk apk add tzdata=2024b-r0
