"""Settings for benchmarks/api_throughput.py: the product's own, plus two reference views
(benchmarks/api_urls.py) served by the same stack."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.api_urls"
