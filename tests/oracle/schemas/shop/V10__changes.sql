-- Version 10 runs after version 2 (numeric order), and changes what they built.
ALTER TABLE sales.orders ADD COLUMN coupon text;
ALTER TABLE sales.orders RENAME COLUMN notes TO remarks;
ALTER TABLE sales.orders ALTER COLUMN total TYPE numeric(14, 2);
ALTER TABLE sales.orders ADD CONSTRAINT orders_coupon_check CHECK (coupon <> '') NOT VALID;
ALTER TABLE sales.customers ADD CONSTRAINT customers_score_check CHECK (score < 1000) NOT VALID;
ALTER TABLE sales.customers VALIDATE CONSTRAINT customers_score_check;
DROP INDEX sales.orders_customer_id_idx1;
ALTER INDEX sales.orders_customer_placed_idx RENAME TO orders_by_customer;
ALTER TABLE public.tags ADD CONSTRAINT tags_pkey PRIMARY KEY USING INDEX tags_name_key;
ALTER TABLE sales.customers RENAME TO clients;
ALTER TABLE sales.clients DROP COLUMN created_at;
ALTER TABLE sales.events ADD COLUMN source text;
ALTER TYPE mood ADD VALUE 'meh';
CREATE TABLE public.audit (at timestamptz NOT NULL, what text);
CREATE TABLE public.scratch (x int);
DROP TABLE public.scratch;
CREATE TABLE public.payments (
    id bigint PRIMARY KEY,
    order_id bigint REFERENCES sales.orders (id),
    amount numeric
);
CREATE INDEX payments_order_idx ON public.payments (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX payments_amount_idx ON public.payments (amount);
CREATE INDEX payments_amount_order_idx ON public.payments (amount, order_id);
CREATE UNIQUE INDEX payments_id_key ON public.payments (id);
ALTER TABLE sales.orders ALTER COLUMN contact_id SET NOT NULL;
CREATE MATERIALIZED VIEW public.order_totals AS SELECT customer_id, sum(total) FROM sales.orders GROUP BY 1;
GRANT SELECT ON public.payments TO PUBLIC;
