-- Speed up the invoice search screen.
CREATE INDEX invoices_number_idx ON invoices (number);

-- Payments arrive from the payment provider's webhook.
CREATE TABLE payments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id  bigint NOT NULL,
    paid_at     timestamptz NOT NULL
);
ALTER TABLE payments ADD CONSTRAINT payments_invoice_fk
    FOREIGN KEY (invoice_id) REFERENCES invoices (id);
