CREATE TABLE invoices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    number      text NOT NULL,
    issued_at   timestamp NOT NULL,
    due_at      timestamptz
);

CREATE TABLE invoice_lines (
    invoice_id  bigint NOT NULL REFERENCES invoices (id),
    line_no     integer NOT NULL,
    amount      numeric(12, 2) NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
);
