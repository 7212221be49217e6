# podgate container image: the webhook (`podgate serve --in-cluster`) and
# every other subcommand, as a non-root static-ish binary on distroless.
#
#   docker build -t registry.example.com/podgate:0.1.0 .
#
# The build command below is the one CI runs (.ci/run, "container build
# command"); the image itself is not built in CI (no container runtime there).
FROM docker.io/library/rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# `cluster`: the kube-rs namespace cache and pod lister that --in-cluster needs.
RUN cargo build --release --locked -p podgate --features cluster \
 && install -D -m 0755 target/release/podgate /out/podgate

# glibc + libgcc, no shell, no package manager; user 65532 (nonroot), which
# is what deploy/ and the chart run as (runAsUser/runAsGroup 65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/podgate /usr/local/bin/podgate
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/podgate"]
CMD ["--help"]
