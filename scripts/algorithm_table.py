"""Print the README's algorithm table (markdown) from the registered algorithm classes."""

import os
import re
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "build" / "qgis_plugins"))

from insar_subsidence.processing_provider.base import GROUPS
from insar_subsidence.processing_provider.provider import algorithm_classes


def table() -> str:
    order = list(GROUPS)
    rows = ["| group | algorithm id | what it does |", "|---|---|---|"]
    for cls in sorted(algorithm_classes(), key=lambda c: (order.index(c.GROUP), c.ALGORITHM_ID)):
        summary = re.split(r"(?<!e\.g)(?<!al)(?<!i\.e)\.\s", " ".join(cls.HELP.split()))[0].rstrip(
            "."
        )
        rows.append(f"| {GROUPS[cls.GROUP]} | `subsidence:{cls.ALGORITHM_ID}` | {summary}. |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
