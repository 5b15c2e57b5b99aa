-- Customers and their accounts.
BEGIN;

CREATE TABLE customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers (id),
    currency     char(3) NOT NULL,
    opened_at    timestamp NOT NULL DEFAULT now()
);

-- Created in the same migration as the table: no CONCURRENTLY needed.
CREATE INDEX accounts_customer_id_idx ON accounts (customer_id);

COMMIT;
