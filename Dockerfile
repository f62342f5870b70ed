# ekstwin in a container: `docker run --rm -v "$PWD:/work:ro" ekstwin analyze /work`.
# Needs no network at run time; runs as an unprivileged user.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
# git: `ekstwin diff --git REV` inside the container
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 ekstwin
COPY --from=build /wheels /wheels
# the collect extra (boto3, kubernetes) lets the image collect a live platform
RUN python -m pip install --no-cache-dir --find-links /wheels "$(ls /wheels/ekstwin-*.whl)[collect]" \
    && rm -rf /wheels
USER 10001
WORKDIR /work
ENTRYPOINT ["ekstwin"]
CMD ["--help"]
