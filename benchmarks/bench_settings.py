"""Settings for benchmarks/web_load.py: the product's own, plus the reference views
(benchmarks/bench_urls.py) served by the same stack."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
