-- Orders placed by customers.
CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);
