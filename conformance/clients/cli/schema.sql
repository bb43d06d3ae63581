-- The application schema and data, as an operator would load it with the
-- mysql CLI (tests the CLI's statement splitting, DELIMITER and comments).
CREATE TABLE customers (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(190) NOT NULL,
  name VARCHAR(100) NOT NULL,
  nickname VARCHAR(100) NULL,
  tier ENUM('free','pro','enterprise') NOT NULL DEFAULT 'free',
  created_at DATETIME(6) NOT NULL,
  updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uq_customers_email (email),
  KEY idx_customers_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  qty INT NOT NULL DEFAULT 1,
  note VARCHAR(255) NULL COMMENT 'free text; may hold emoji',
  attrs JSON NULL,
  payload BLOB NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  placed_at DATETIME(6) NOT NULL,
  KEY idx_orders_customer_placed (customer_id, placed_at),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='customer orders';

CREATE VIEW order_totals AS
  SELECT customer_id, COUNT(*) AS n, SUM(qty) AS qty FROM orders GROUP BY customer_id;

DELIMITER ;;
CREATE TRIGGER orders_note_trim BEFORE INSERT ON orders FOR EACH ROW
BEGIN
  SET NEW.note = TRIM(NEW.note);
END;;
DELIMITER ;

INSERT INTO customers (email, name, nickname, tier, created_at, updated_at) VALUES
  ('zhang@example.com', '张伟', '小张 😀🎉', 'pro', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05'),
  ('bob@example.com', 'Bob', NULL, DEFAULT, '2024-02-01 00:00:00.000001', '2024-02-01 00:00:00'),
  ('carol@example.com', 'Carol', '', 'enterprise', '2024-02-03 00:00:00', NULL);

INSERT INTO orders (customer_id, amount, qty, note, attrs, payload, status, placed_at) VALUES
  (1, 12.34, 2, NULL, '{"gift": true, "tags": ["a", "b"], "名": "值"}', X'00FF10275C00', 'paid', '2024-03-01 10:00:00.123456'),
  (1, 0.01, 1, '  多 emoji 🚀  ', NULL, NULL, 'new', '2024-03-02 11:30:00.5'),
  (2, 99999999.99, 3, 'it''s "quoted" \\ back\nslash', '{}', X'', 'shipped', '2024-04-02 09:15:00'),
  (3, -5.50, 1, 'tab\there', '[1, 2.5, null, "x"]', X'DEADBEEF', 'cancelled', '2024-04-03 00:00:00.000001');
