-- The demo products table: one product per sample vector, joined to S3 Vectors by
-- vector_key (the vector's key). Written by sample-data/generate.py; do not edit by hand.
--
--   psql -v ON_ERROR_STOP=1 -f sample-data/products.sql     (idempotent: resets the demo rows)

BEGIN;

CREATE TABLE IF NOT EXISTS public.products (
    id integer PRIMARY KEY,
    vector_key text NOT NULL UNIQUE CHECK (vector_key ~ '^vec_[0-9]{3}$'),
    name text NOT NULL CHECK (name <> ''),
    price numeric(10, 2) NOT NULL CHECK (price >= 0),
    in_stock boolean NOT NULL,
    tenant text NOT NULL
);

COMMENT ON TABLE public.products IS
    's3vl demo: relational rows joined with s3vl.query_vectors on vector_key';

INSERT INTO public.products (id, vector_key, name, price, in_stock, tenant) VALUES
    (1, 'vec_001', 'Rugged Headphones 001', 204.65, false, 'acme'),
    (2, 'vec_002', 'Classic Headphones 002', 326.11, true, 'globex'),
    (3, 'vec_003', 'Compact Kettle 003', 325.43, true, 'initech'),
    (4, 'vec_004', 'Smart Headphones 004', 33.51, false, 'acme'),
    (5, 'vec_005', 'Compact Speaker 005', 441.72, true, 'globex'),
    (6, 'vec_006', 'Solar Monitor 006', 374.05, true, 'initech'),
    (7, 'vec_007', 'Travel Monitor 007', 104.58, true, 'acme'),
    (8, 'vec_008', 'Rugged Speaker 008', 369.11, false, 'globex'),
    (9, 'vec_009', 'Classic Backpack 009', 296.83, true, 'initech'),
    (10, 'vec_010', 'Classic Speaker 010', 439.54, true, 'acme'),
    (11, 'vec_011', 'Travel Watch 011', 371.44, true, 'globex'),
    (12, 'vec_012', 'Rugged Kettle 012', 43.81, false, 'initech'),
    (13, 'vec_013', 'Smart Headphones 013', 248.19, false, 'acme'),
    (14, 'vec_014', 'Classic Tent 014', 370.9, true, 'globex'),
    (15, 'vec_015', 'Solar Desk Lamp 015', 183.3, false, 'initech'),
    (16, 'vec_016', 'Smart Desk Lamp 016', 488.51, true, 'acme'),
    (17, 'vec_017', 'Ultra Headphones 017', 386.59, false, 'globex'),
    (18, 'vec_018', 'Classic Watch 018', 341.67, true, 'initech'),
    (19, 'vec_019', 'Travel Watch 019', 456.8, false, 'acme'),
    (20, 'vec_020', 'Compact Kettle 020', 309.33, true, 'globex'),
    (21, 'vec_021', 'Travel Monitor 021', 45.98, true, 'initech'),
    (22, 'vec_022', 'Classic Watch 022', 91.1, true, 'acme'),
    (23, 'vec_023', 'Silent Tent 023', 57.68, true, 'globex'),
    (24, 'vec_024', 'Compact Monitor 024', 407.06, false, 'initech'),
    (25, 'vec_025', 'Rugged Desk Lamp 025', 322.63, true, 'acme'),
    (26, 'vec_026', 'Solar Kettle 026', 151.62, true, 'globex'),
    (27, 'vec_027', 'Compact Kettle 027', 370.52, false, 'initech'),
    (28, 'vec_028', 'Compact Kettle 028', 126.5, false, 'acme'),
    (29, 'vec_029', 'Smart Monitor 029', 123.81, false, 'globex'),
    (30, 'vec_030', 'Smart Headphones 030', 55.01, true, 'initech'),
    (31, 'vec_031', 'Travel Watch 031', 189.23, true, 'acme'),
    (32, 'vec_032', 'Classic Tent 032', 131.21, false, 'globex'),
    (33, 'vec_033', 'Silent Speaker 033', 373.9, true, 'initech'),
    (34, 'vec_034', 'Travel Headphones 034', 152.3, true, 'acme'),
    (35, 'vec_035', 'Compact Speaker 035', 7.18, true, 'globex'),
    (36, 'vec_036', 'Compact Desk Lamp 036', 30.93, true, 'initech'),
    (37, 'vec_037', 'Rugged Monitor 037', 358.46, true, 'acme'),
    (38, 'vec_038', 'Ultra Backpack 038', 130.87, true, 'globex'),
    (39, 'vec_039', 'Ultra Headphones 039', 437.86, true, 'initech'),
    (40, 'vec_040', 'Ultra Headphones 040', 378.46, false, 'acme'),
    (41, 'vec_041', 'Solar Tent 041', 491, true, 'globex'),
    (42, 'vec_042', 'Compact Tent 042', 319.85, false, 'initech'),
    (43, 'vec_043', 'Classic Kettle 043', 181.1, true, 'acme'),
    (44, 'vec_044', 'Ultra Monitor 044', 148.19, true, 'globex'),
    (45, 'vec_045', 'Ultra Monitor 045', 295.17, true, 'initech'),
    (46, 'vec_046', 'Silent Speaker 046', 306.22, true, 'acme'),
    (47, 'vec_047', 'Silent Speaker 047', 280.37, true, 'globex'),
    (48, 'vec_048', 'Silent Desk Lamp 048', 449.73, true, 'initech'),
    (49, 'vec_049', 'Travel Kettle 049', 222.48, false, 'acme'),
    (50, 'vec_050', 'Solar Kettle 050', 378.53, true, 'globex')
ON CONFLICT (id) DO UPDATE SET
    vector_key = EXCLUDED.vector_key,
    name = EXCLUDED.name,
    price = EXCLUDED.price,
    in_stock = EXCLUDED.in_stock,
    tenant = EXCLUDED.tenant;

COMMIT;
