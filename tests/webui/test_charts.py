"""The charts show their labels whole: a long label wraps onto more lines (the row grows), never cut short."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from webui.cases.progress import progress_chart
from webui.monitoring.chart import bar_chart

LONG = "Mobilitare risorse e coinvolgere gli altri nella creazione di valore"
SVG = "{http://www.w3.org/2000/svg}"


def shown_text(svg: str) -> list[str]:
    """The words of each <text> of the chart, its lines joined."""
    root = ET.fromstring(svg)
    return [" ".join(t.strip() for t in text.itertext() if t.strip()) for text in root.iter(SVG + "text")]


def test_a_long_label_wraps_whole_in_both_charts():
    for svg, short in ((str(bar_chart([(LONG, 3), ("Creatività", 5)], "Scores", "c1", top=5)), "Creatività"),
                       (str(progress_chart([(LONG, 2.5, 4.0, 1.5), ("Creatività", 3, 3, 0)], "Progress", "c2")),
                        "Creatività")):
        texts = shown_text(svg)
        assert LONG in texts and short in texts and "…" not in svg
        long_label = next(t for t in ET.fromstring(svg).iter(SVG + "text") if "Mobilitare" in "".join(t.itertext()))
        assert len(long_label.findall(SVG + "tspan")) >= 2  # on two lines at least
        height = float(re.search(r'viewBox="0 0 \d+ ([\d.]+)"', svg).group(1))
        ys = [float(r.get("y")) + float(r.get("height")) for r in ET.fromstring(svg).iter(SVG + "rect")]
        assert max(ys) <= height  # the taller row still fits in the chart
