"""Writes the demo data beside this file, the same bytes on every run (seeded):

- sample-vectors.json: 50 unit-length 5-dimension vectors vec_001..vec_050 in the put-vectors
  file format ({"vectors": [{"key", "data": {"float32": [...]}, "metadata": {...}}]}: the
  `vectors` list boto3's put_vectors and `aws s3vectors put-vectors` take); metadata category
  cycles test, sample, demo, example; vec_048..vec_050 are one identical vector with
  category "identical";
- products.sql: a demo `products` table with one product per vector, joined by vector_key.

    python sample-data/generate.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import random
from decimal import Decimal
from pathlib import Path

SEED = 20260930
COUNT = 50
DIMENSION = 5
CATEGORIES = ("test", "sample", "demo", "example")
IDENTICAL_KEYS = ("vec_048", "vec_049", "vec_050")
DECIMALS = 6  # readable JSON; the vectors stay unit length well within float32 precision
TENANTS = ("acme", "globex", "initech")
ADJECTIVES = ("Compact", "Classic", "Rugged", "Silent", "Smart", "Solar", "Travel", "Ultra")
NOUNS = ("Backpack", "Desk Lamp", "Headphones", "Kettle", "Monitor", "Speaker", "Tent", "Watch")
HERE = Path(__file__).resolve().parent


def key(number: int) -> str:
    return f"vec_{number:03d}"


def unit_vector(rng: random.Random) -> list[float]:
    """A random direction of length 1, rounded to DECIMALS places (length 1 within 2e-6)."""
    while True:
        raw = [rng.gauss(0.0, 1.0) for _ in range(DIMENSION)]
        norm = math.sqrt(sum(x * x for x in raw))
        if norm > 1e-3:  # never an almost-zero vector: cosine rejects all-zero data
            return [round(x / norm, DECIMALS) for x in raw]


def vectors(rng: random.Random) -> list[dict[str, object]]:
    identical = unit_vector(rng)
    rows: list[dict[str, object]] = []
    for number in range(1, COUNT + 1):
        name = key(number)
        same = name in IDENTICAL_KEYS
        rows.append(
            {
                "key": name,
                "data": {"float32": identical if same else unit_vector(rng)},
                "metadata": {
                    "category": "identical" if same else CATEGORIES[(number - 1) % 4],
                    "title": f"Sample vector {number:03d}",
                    "priority": rng.randint(1, 5),
                },
            }
        )
    return rows


def products(rng: random.Random) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for number in range(1, COUNT + 1):
        name = f"{ADJECTIVES[rng.randrange(len(ADJECTIVES))]} {NOUNS[rng.randrange(len(NOUNS))]}"
        rows.append(
            {
                "id": number,
                "vector_key": key(number),
                "name": f"{name} {number:03d}",
                "price": Decimal(rng.randint(500, 50000)) / 100,
                "in_stock": rng.random() < 0.7,
                "tenant": TENANTS[(number - 1) % len(TENANTS)],
            }
        )
    return rows


def vectors_json(rows: list[dict[str, object]]) -> str:
    lines = ",\n".join(f"    {json.dumps(row, separators=(', ', ': '))}" for row in rows)
    return '{\n  "vectors": [\n' + lines + "\n  ]\n}\n"


def sql_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def products_sql(rows: list[dict[str, object]]) -> str:
    values = ",\n".join(
        "    (" + ", ".join(sql_literal(row[column]) for column in row) + ")" for row in rows
    )
    columns = ", ".join(rows[0])
    return f"""-- The demo products table: one product per sample vector, joined to S3 Vectors by
-- vector_key (the vector's key). Written by sample-data/generate.py; do not edit by hand.
--
--   psql -v ON_ERROR_STOP=1 -f sample-data/products.sql     (idempotent: resets the demo rows)

BEGIN;

CREATE TABLE IF NOT EXISTS public.products (
    id integer PRIMARY KEY,
    vector_key text NOT NULL UNIQUE CHECK (vector_key ~ '^vec_[0-9]{{3}}$'),
    name text NOT NULL CHECK (name <> ''),
    price numeric(10, 2) NOT NULL CHECK (price >= 0),
    in_stock boolean NOT NULL,
    tenant text NOT NULL
);

COMMENT ON TABLE public.products IS
    's3vl demo: relational rows joined with s3vl.query_vectors on vector_key';

INSERT INTO public.products ({columns}) VALUES
{values}
ON CONFLICT (id) DO UPDATE SET
    vector_key = EXCLUDED.vector_key,
    name = EXCLUDED.name,
    price = EXCLUDED.price,
    in_stock = EXCLUDED.in_stock,
    tenant = EXCLUDED.tenant;

COMMIT;
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where to write (beside me)")
    args = parser.parse_args(argv)
    # One generator per file, so changing one file's recipe leaves the other's bytes alone.
    (args.out_dir / "sample-vectors.json").write_text(vectors_json(vectors(random.Random(SEED))))
    (args.out_dir / "products.sql").write_text(products_sql(products(random.Random(SEED + 1))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
