CREATE TABLE IF NOT EXISTS orders (
  order_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  seller_id INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  category VARCHAR(32) NOT NULL,
  region VARCHAR(16) NOT NULL,
  amount_cents BIGINT NOT NULL,
  created_at DATETIME NOT NULL,
  title VARCHAR(255) NOT NULL,
  PRIMARY KEY (order_id),
  KEY idx_user (user_id),
  FULLTEXT KEY ft_title (title)
);
