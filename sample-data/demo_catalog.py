"""Writes catalog.sql beside this file, the same bytes on every run: the demo's catalog table,
products with a title and a description in English for the walkthrough's questions in words
(walkthrough_words.sql).

The first 288 products of text-products.json (text_catalog.py's, shared with the full-text
tests), and twelve written here whose descriptions say plainly what they are for, so a question
such as "something to keep my coffee hot" has one right answer (the thermos) and near misses
(a travel mug, a kettle, a desk lamp that is not).

    python sample-data/demo_catalog.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "text-products.json"
FILE = "catalog.sql"
FROM_CATALOG = 288

# key, title, description, category, price, in stock
WRITTEN: tuple[tuple[str, str, str, str, float, bool], ...] = (
    ("demo_01", "Stainless steel vacuum thermos, 750 ml",
     "Double walled and vacuum insulated, it keeps coffee or tea hot for twelve hours and water "
     "cold for a day. The cup screws onto the leak-proof lid.", "kitchen", 34.0, True),
    ("demo_02", "Insulated travel mug with a slide lid",
     "Keeps your morning drink warm through the commute and fits car cup holders.",
     "kitchen", 22.5, True),
    ("demo_03", "Dimmable LED desk lamp",
     "Five brightness levels and a flexible neck light up your desk for late reading.",
     "home", 45.0, True),
    ("demo_04", "Fleece-lined winter boots",
     "Waterproof leather and a warm fleece lining keep your feet dry and warm in deep snow.",
     "footwear", 89.0, True),
    ("demo_05", "Windproof travel umbrella",
     "Opens with one button and stays open in storms, so you stay dry in the rain.",
     "bags", 19.0, True),
    ("demo_06", "Insulated lunch bag with ice pack",
     "Keeps sandwiches and drinks cold until lunchtime.", "bags", 16.0, True),
    ("demo_07", "Merino wool hiking socks",
     "Soft, warm and breathable socks that keep feet comfortable on long cold hikes.",
     "footwear", 14.0, False),
    ("demo_08", "Noise cancelling earbuds for travel",
     "Shut out engine noise on flights and trains; the case holds thirty hours of charge.",
     "electronics", 79.0, True),
    ("demo_09", "Cast iron teapot",
     "Heavy enameled iron holds the heat, so a pot of green tea stays warm at the table.",
     "kitchen", 42.0, True),
    ("demo_10", "Hand-crank emergency radio",
     "Weather alerts and a flashlight when the power is out; charges by hand or by sun.",
     "electronics", 39.0, True),
    ("demo_11", "Mineral sunscreen SPF 50",
     "Protects your skin at the beach and on the trail; water resistant for eighty minutes.",
     "beauty", 12.0, True),
    ("demo_12", "Ergonomic office chair",
     "Adjustable lumbar support keeps your back comfortable through long days at the desk.",
     "office", 189.0, True),
)  # fmt: skip


def products() -> list[tuple[str, str, str, str, float, bool]]:
    catalog = json.loads(SOURCE.read_text(encoding="utf-8"))["products"][:FROM_CATALOG]
    reused = [
        (p["key"], p["title"], p["description"], p["category"], p["price"], p["in_stock"])
        for p in catalog
    ]
    return reused + list(WRITTEN)


HEADER = """-- The demo catalog: products with a title and a description, for the walkthrough's
-- questions in words (walkthrough_words.sql). Written by sample-data/demo_catalog.py; do not
-- edit by hand.
--
--   psql -v ON_ERROR_STOP=1 -f sample-data/catalog.sql     (idempotent: resets the demo rows)

BEGIN;

CREATE TABLE IF NOT EXISTS public.catalog (
    id text PRIMARY KEY,
    title text NOT NULL CHECK (title <> ''),
    description text NOT NULL CHECK (description <> ''),
    category text NOT NULL,
    price numeric(10, 2) NOT NULL CHECK (price >= 0),
    in_stock boolean NOT NULL
);

COMMENT ON TABLE public.catalog IS
    's3vl demo: products asked about in words (s3vl.query_text), their text embedded by Bedrock';

"""


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql() -> str:
    rows = ",\n".join(
        f"    ({literal(key)}, {literal(title)}, {literal(description)}, {literal(category)},"
        f" {price:.2f}, {'true' if in_stock else 'false'})"
        for key, title, description, category, price, in_stock in products()
    )
    # Every value is one of this file's own, quoted by literal().
    columns = "id, title, description, category, price, in_stock"
    inserts = f"INSERT INTO public.catalog ({columns}) VALUES"
    return f"{HEADER}DELETE FROM public.catalog;\n{inserts}\n{rows};\n\nCOMMIT;\n"  # noqa: S608


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE)
    out = parser.parse_args().out_dir
    (out / FILE).write_text(sql(), encoding="utf-8")


if __name__ == "__main__":
    main()
