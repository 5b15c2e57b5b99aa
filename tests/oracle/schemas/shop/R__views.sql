-- Repeatable: runs after every versioned migration.
CREATE OR REPLACE VIEW public.big_orders AS SELECT id, total FROM sales.orders WHERE total > 1000;
