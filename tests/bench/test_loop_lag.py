"""The bench's event-loop lag figure: a quantile from the histogram's growth between scrapes."""

from __future__ import annotations

from bench.loadgen import lag_percentile_ms

INF = float("inf")


def test_the_quantile_is_the_bound_of_the_bucket_it_falls_in() -> None:
    before = {0.001: 10.0, 0.01: 10.0, 0.1: 10.0, INF: 10.0}
    # 100 new samples: 95 under 1 ms, 4 more under 10 ms, 1 under 100 ms.
    after = {0.001: 105.0, 0.01: 109.0, 0.1: 110.0, INF: 110.0}
    assert lag_percentile_ms(before, after, 0.95) == 1.0
    assert lag_percentile_ms(before, after, 0.99) == 10.0
    assert lag_percentile_ms(before, after, 1.0) == 100.0


def test_no_samples_or_no_scrape_gives_no_figure() -> None:
    same = {0.001: 5.0, INF: 5.0}
    assert lag_percentile_ms(same, same) is None
    assert lag_percentile_ms(None, same) is None
