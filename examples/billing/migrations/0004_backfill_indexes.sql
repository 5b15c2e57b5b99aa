-- Added after the unindexed foreign key on invoices showed up in production.
CREATE INDEX CONCURRENTLY invoices_account_id_idx ON invoices (account_id);
