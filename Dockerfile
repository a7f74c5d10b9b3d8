# syntax=docker/dockerfile:1
# Teller in a container (docs/DEPLOY.md, "Docker").
# NOT BUILT OR RUN in Teller's own build environment, which has no Docker:
# treat it as a starting point and check it on your machine.
#
#   docker build -t teller .
#   docker run ... teller            (`teller serve` on 0.0.0.0:8080, plain HTTP,
#                                      for a reverse proxy in front)

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin teller \
 && cargo build --release --locked -p teller-audit

FROM debian:bookworm-slim
# ca-certificates: SMTP over TLS. postgresql-client: pg_dump for `teller
# backup` on PostgreSQL; Debian 12's is PostgreSQL 15, and pg_dump must be at
# least the server's version (for a newer server, install its client from
# apt.postgresql.org instead). curl: the health check below.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl postgresql-client \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 teller \
 && useradd --system --uid 10001 --gid teller --home-dir /var/lib/teller \
      --no-create-home --shell /usr/sbin/nologin teller \
 && install -d -m 0700 -o teller -g teller /var/lib/teller
COPY --from=build /src/target/release/teller /src/target/release/teller-audit /usr/local/bin/

# The master secret is NOT in the image: mount it (owned by uid 10001, mode
# 0400 or 0600) and point TELLER_MASTER_SECRET_FILE at it.
ENV TELLER_DATABASE_URL=/var/lib/teller/teller.db \
    TELLER_LISTEN=0.0.0.0:8080 \
    NO_COLOR=1
USER teller
WORKDIR /var/lib/teller
VOLUME /var/lib/teller
EXPOSE 8080
# /healthz: the process serves. Plain HTTP on 8080: change this if you set
# TELLER_LISTEN or serve TLS inside the container.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/teller"]
CMD ["serve"]
