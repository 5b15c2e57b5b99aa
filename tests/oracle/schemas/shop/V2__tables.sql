-- Unqualified names go to the first schema of search_path.
SET search_path TO sales, public;
CREATE TABLE customers (
    id bigserial PRIMARY KEY,
    name varchar(200) NOT NULL,
    feeling mood,
    score positive_int,
    created_at timestamp DEFAULT now(),
    UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS customers (id int);
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY,
    customer_id bigint NOT NULL REFERENCES customers,
    contact_id bigint REFERENCES crm.contacts (id) ON DELETE SET NULL,
    total numeric(12, 2) CHECK (total >= 0),
    placed_at timestamptz NOT NULL DEFAULT now(),
    notes text[],
    CONSTRAINT orders_pkey PRIMARY KEY (id)
);
CREATE INDEX ON orders (customer_id);
CREATE INDEX ON orders (customer_id);
CREATE INDEX IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);
CREATE INDEX ON orders (placed_at DESC) WHERE total > 100;
CREATE INDEX orders_customer_placed_idx ON orders (customer_id, placed_at) INCLUDE (total);
CREATE TABLE a_table_with_a_really_quite_extraordinarily_long_name_for_tests (
    the_first_column_has_a_long_name_as_well bigint,
    second_column bigint UNIQUE
);
CREATE INDEX ON a_table_with_a_really_quite_extraordinarily_long_name_for_tests
    (the_first_column_has_a_long_name_as_well, second_column);
CREATE TABLE events (
    id bigint NOT NULL,
    happened_on date NOT NULL,
    payload jsonb
) PARTITION BY RANGE (happened_on);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 (LIKE events);
ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX ON events (happened_on);
CREATE TABLE public.tags (name text NOT NULL);
CREATE UNIQUE INDEX tags_name_key ON public.tags (name);
