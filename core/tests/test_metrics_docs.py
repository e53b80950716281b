"""The metrics the operations docs name (the alert rules, the Grafana
dashboard) are the ones /metrics serves."""

import re
from pathlib import Path

from prometheus_client import REGISTRY

DOCS = Path(__file__).resolve().parents[2] / "docs"
NAME = re.compile(r"\bchat_[a-z_]+")


def served():
    return {
        sample_name
        for family in REGISTRY.collect()
        if family.name.startswith("chat_")
        for sample_name in [
            family.name,
            *(f"{family.name}{suffix}" for suffix in ("_total", "_bucket", "_count", "_sum")),
        ]
    }


def test_the_dashboard_and_the_docs_name_served_metrics_only():
    named = set(NAME.findall((DOCS / "grafana-dashboard.json").read_text()))
    named |= set(NAME.findall((DOCS / "monitoring.md").read_text()))
    assert "chat_delivery_latency_seconds_bucket" in named and "chat_open_sockets" in named
    assert named <= served(), named - served()
