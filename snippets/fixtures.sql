-- The demo database's rows, loaded after schema.sql into every fresh database.
--
-- Deterministic: explicit ids, literal ISO dates (2024 and 2025), no random
-- values and no CURRENT_DATE, so every snippet sees the same data. Parents are
-- inserted before children, so the file loads with PRAGMA foreign_keys=ON.
-- The same file loads into PostgreSQL (schema.postgresql.sql): booleans are
-- written TRUE / FALSE, which SQLite stores as 1 / 0.
--
-- Things the chapters rely on:
-- * categories form a three-level tree (Books > Programming > Python); the
--   roots Books and Electronics hold no products of their own, so counting the
--   products under them needs a recursive query; every other category has some.
-- * customers 9, 10 and 12 have no orders; customer 1 has the most (6);
--   cities repeat, and two customers have no city (NULL);
--   names and emails mix case ("ADAM SMITH", "Grace.Hopper@Example.com");
--   customer 12's notes hold an HTML tag, to prove that output is escaped.
-- * tag 6 (clearance) is on no product; products 12 and 20 have no tags.
-- * product 20 was never ordered; some products are out of stock or discontinued.
-- * employees form a three-level hierarchy; only employees 2, 4, 5 and 6
--   handled orders, and some orders have no handler (NULL).
-- * orders have every status; only shipped orders have a shipped_on date.
-- * order_lines.unit_price_cents is the price paid, which is not always the
--   product's current price (an old price, a Black Friday discount).

INSERT INTO categories (id, name, parent_id) VALUES
    (1, 'Books', NULL),
    (2, 'Electronics', NULL),
    (3, 'Kitchen', NULL),
    (4, 'Programming', 1),
    (5, 'Fiction', 1),
    (6, 'Python', 4),
    (7, 'Databases', 4),
    (8, 'Computers', 2),
    (9, 'Audio', 2),
    (10, 'Keyboards', 8),
    (11, 'Headphones', 9),
    (12, 'Cookware', 3);

INSERT INTO products (id, sku, name, category_id, price_cents, stock, discontinued) VALUES
    (1, 'BK-PY-001', 'Fluent Python', 6, 5999, 12, FALSE),
    (2, 'BK-PY-002', 'Python Crash Course', 6, 3999, 0, FALSE),
    (3, 'BK-DB-001', 'SQL Performance Explained', 7, 3499, 5, FALSE),
    (4, 'BK-DB-002', 'Designing Data-Intensive Applications', 7, 4599, 8, FALSE),
    (5, 'BK-DB-003', 'The Art of PostgreSQL', 7, 2999, 0, TRUE),
    (6, 'BK-PR-001', 'Two Scoops of Django', 4, 4499, 3, FALSE),
    (7, 'BK-FI-001', 'The Hitchhiker''s Guide to the Galaxy', 5, 1299, 25, FALSE),
    (8, 'BK-FI-002', 'Pride & Prejudice', 5, 899, 14, FALSE),
    (9, 'BK-FI-003', 'Ender''s Game', 5, 1099, 0, TRUE),
    (10, 'EL-KB-001', 'Mechanical Keyboard', 10, 8999, 7, FALSE),
    (11, 'EL-KB-002', 'Ergonomic Split Keyboard', 10, 14999, 2, FALSE),
    (12, 'EL-CO-001', 'USB-C Hub', 8, 2499, 40, FALSE),
    (13, 'EL-CO-002', 'Laptop Stand', 8, 3999, 0, FALSE),
    (14, 'EL-HP-001', 'Noise-Cancelling Headphones', 11, 24999, 4, FALSE),
    (15, 'EL-HP-002', 'Studio Headphones', 11, 9999, 0, TRUE),
    (16, 'EL-AU-001', 'Bluetooth Speaker', 9, 5999, 9, FALSE),
    (17, 'KI-CW-001', 'Cast Iron Skillet', 12, 3499, 15, FALSE),
    (18, 'KI-CW-002', 'Chef''s Knife', 12, 7999, 6, FALSE),
    (19, 'KI-GN-001', 'Salt & Pepper Grinder Set', 3, 2999, 20, FALSE),
    (20, 'KI-GN-002', 'Coffee Grinder', 3, 4999, 0, TRUE);

INSERT INTO tags (id, name) VALUES
    (1, 'bestseller'),
    (2, 'gift idea'),
    (3, 'new'),
    (4, 'sale'),
    (5, 'staff pick'),
    (6, 'clearance');

INSERT INTO product_tags (id, product_id, tag_id) VALUES
    (1, 1, 1),
    (2, 1, 2),
    (3, 1, 5),
    (4, 2, 4),
    (5, 3, 5),
    (6, 4, 1),
    (7, 4, 5),
    (8, 5, 4),
    (9, 6, 3),
    (10, 7, 1),
    (11, 7, 2),
    (12, 7, 5),
    (13, 8, 2),
    (14, 9, 4),
    (15, 10, 1),
    (16, 10, 2),
    (17, 10, 5),
    (18, 11, 3),
    (19, 13, 3),
    (20, 14, 1),
    (21, 14, 2),
    (22, 15, 4),
    (23, 16, 2),
    (24, 16, 3),
    (25, 17, 1),
    (26, 17, 5),
    (27, 18, 2),
    (28, 18, 5),
    (29, 19, 2),
    (30, 19, 4);

INSERT INTO customers (id, name, email, city, signed_up, notes) VALUES
    (1, 'Ada Lovelace', 'ada@example.com', 'London', '2024-01-05', NULL),
    (2, 'Alan Turing', 'alan.turing@example.com', 'London', '2024-01-19', 'Prefers email over phone.'),
    (3, 'Grace Hopper', 'Grace.Hopper@Example.com', 'New York', '2024-02-03', NULL),
    (4, 'Edsger Dijkstra', 'edsger@example.nl', 'Amsterdam', '2024-02-27', NULL),
    (5, 'Barbara Liskov', 'barbara.liskov@example.com', 'Boston', '2024-03-14', 'Gift wrap every order.'),
    (6, 'Linus Torvalds', 'linus@example.fi', 'Helsinki', '2024-04-08', NULL),
    (7, 'Margaret Hamilton', 'margaret@example.com', 'Boston', '2024-05-21', NULL),
    (8, 'Guido van Rossum', 'guido@example.nl', 'Amsterdam', '2024-06-02', 'Asked about bulk discounts.'),
    (9, 'ADAM SMITH', 'ADAM.SMITH@EXAMPLE.COM', 'New York', '2024-09-30', NULL),
    (10, 'Katherine Johnson', 'katherine@example.com', NULL, '2024-11-11', NULL),
    (11, 'Tim Berners-Lee', 'tim@example.org', 'London', '2025-01-07', NULL),
    (12, 'Frances Allen', 'frances.allen@example.com', NULL, '2025-03-03', '<script>alert("notes")</script>');

INSERT INTO employees (id, name, title, manager_id, hired) VALUES
    (1, 'Maria Garcia', 'Managing Director', NULL, '2024-01-02'),
    (2, 'James Okafor', 'Head of Sales', 1, '2024-01-03'),
    (3, 'Priya Natarajan', 'Head of Operations', 1, '2024-01-03'),
    (4, 'Tom Becker', 'Sales Associate', 2, '2024-01-08'),
    (5, 'Lena Novak', 'Sales Associate', 2, '2024-01-29'),
    (6, 'Sam Rivera', 'Sales Associate', 2, '2024-03-25'),
    (7, 'Yuki Tanaka', 'Warehouse Lead', 3, '2024-05-13'),
    (8, 'Omar Haddad', 'Warehouse Clerk', 3, '2024-06-03'),
    (9, 'Chloe Martin', 'Support Agent', 3, '2025-01-06'),
    (10, 'Ben Ito', 'Support Agent', 3, '2025-02-17');

INSERT INTO orders (id, customer_id, placed_on, status, shipped_on, handled_by_id) VALUES
    (1, 1, '2024-01-10', 'shipped', '2024-01-12', 4),
    (2, 2, '2024-01-22', 'shipped', '2024-01-25', 4),
    (3, 1, '2024-02-05', 'shipped', '2024-02-07', 5),
    (4, 3, '2024-02-14', 'cancelled', NULL, NULL),
    (5, 4, '2024-03-01', 'shipped', '2024-03-04', 5),
    (6, 3, '2024-03-18', 'shipped', '2024-03-20', NULL),
    (7, 5, '2024-04-02', 'shipped', '2024-04-05', 6),
    (8, 1, '2024-04-20', 'shipped', '2024-04-23', 4),
    (9, 6, '2024-05-07', 'shipped', '2024-05-10', NULL),
    (10, 2, '2024-05-28', 'cancelled', NULL, 5),
    (11, 8, '2024-06-11', 'shipped', '2024-06-13', 6),
    (12, 7, '2024-07-03', 'shipped', '2024-07-08', 2),
    (13, 3, '2024-07-19', 'shipped', '2024-07-22', 4),
    (14, 1, '2024-08-08', 'shipped', '2024-08-09', NULL),
    (15, 4, '2024-09-02', 'shipped', '2024-09-05', 5),
    (16, 8, '2024-09-24', 'shipped', '2024-09-26', 6),
    (17, 6, '2024-10-15', 'cancelled', NULL, NULL),
    (18, 2, '2024-11-05', 'shipped', '2024-11-08', 4),
    (19, 3, '2024-11-29', 'shipped', '2024-12-02', 5),
    (20, 1, '2024-12-12', 'shipped', '2024-12-16', 6),
    (21, 5, '2025-01-09', 'shipped', '2025-01-13', NULL),
    (22, 8, '2025-01-30', 'shipped', '2025-02-03', 4),
    (23, 11, '2025-02-21', 'shipped', '2025-02-24', 2),
    (24, 7, '2025-03-14', 'paid', NULL, 5),
    (25, 2, '2025-04-02', 'paid', NULL, NULL),
    (26, 4, '2025-04-25', 'shipped', '2025-04-29', 6),
    (27, 6, '2025-05-16', 'paid', NULL, 4),
    (28, 3, '2025-05-30', 'pending', NULL, NULL),
    (29, 8, '2025-06-10', 'pending', NULL, NULL),
    (30, 1, '2025-06-18', 'pending', NULL, NULL);

INSERT INTO order_lines (id, order_id, product_id, quantity, unit_price_cents) VALUES
    (1, 1, 1, 1, 5499),
    (2, 1, 3, 1, 3499),
    (3, 1, 12, 1, 2499),
    (4, 2, 10, 1, 8999),
    (5, 3, 7, 2, 1299),
    (6, 3, 8, 1, 899),
    (7, 3, 9, 1, 1099),
    (8, 4, 14, 1, 24999),
    (9, 5, 4, 1, 4599),
    (10, 5, 3, 1, 3499),
    (11, 5, 5, 1, 2999),
    (12, 6, 12, 2, 2499),
    (13, 6, 13, 1, 3999),
    (14, 7, 17, 1, 3499),
    (15, 7, 18, 1, 7999),
    (16, 8, 6, 1, 4499),
    (17, 8, 2, 1, 3999),
    (18, 9, 11, 1, 14999),
    (19, 9, 12, 1, 2499),
    (20, 10, 16, 1, 5999),
    (21, 11, 1, 1, 5499),
    (22, 11, 9, 2, 1099),
    (23, 12, 19, 1, 2999),
    (24, 12, 17, 1, 3499),
    (25, 13, 4, 1, 4599),
    (26, 14, 15, 1, 9999),
    (27, 14, 12, 1, 2499),
    (28, 15, 7, 1, 1299),
    (29, 15, 8, 1, 899),
    (30, 15, 9, 1, 1099),
    (31, 16, 10, 1, 8999),
    (32, 16, 12, 3, 2499),
    (33, 17, 14, 1, 24999),
    (34, 18, 2, 1, 3999),
    (35, 18, 6, 1, 4499),
    (36, 18, 4, 1, 4599),
    (37, 19, 14, 1, 19999),
    (38, 19, 16, 2, 4999),
    (39, 19, 17, 1, 3499),
    (40, 19, 19, 1, 2999),
    (41, 20, 18, 1, 7999),
    (42, 20, 7, 3, 1299),
    (43, 21, 3, 1, 3499),
    (44, 22, 1, 2, 5999),
    (45, 22, 4, 1, 4599),
    (46, 22, 7, 1, 1299),
    (47, 23, 11, 1, 14999),
    (48, 24, 17, 2, 3499),
    (49, 24, 19, 1, 2999),
    (50, 25, 13, 1, 3999),
    (51, 25, 12, 1, 2499),
    (52, 26, 10, 1, 8999),
    (53, 26, 15, 1, 9999),
    (54, 27, 8, 4, 899),
    (55, 28, 1, 1, 5999),
    (56, 28, 3, 1, 3499),
    (57, 28, 6, 1, 4499),
    (58, 29, 16, 1, 5999),
    (59, 29, 12, 1, 2499),
    (60, 30, 7, 1, 1299);
