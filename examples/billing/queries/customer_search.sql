-- The support team's customer search box.
SELECT id, email, created_at
FROM customers
WHERE email ILIKE '%' || $1 || '%'
ORDER BY created_at DESC
LIMIT 50;
