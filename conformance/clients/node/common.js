'use strict';
// Shared pieces of the Node client programs: the check protocol of
// ../harness_test.go ("ok <check>" / "fail <check>: <why>" / "skip ...",
// then "done") and the application schema and data.

const env = {
  host: process.env.QUARRY_HOST || '127.0.0.1',
  port: Number(process.env.QUARRY_PORT || 3306),
  user: process.env.QUARRY_USER || 'root',
  password: process.env.QUARRY_PASSWORD || '',
  database: process.env.QUARRY_DB || 'app_node',
};

function oneLine(s) {
  return String(s).replace(/\s+/g, ' ').slice(0, 700);
}

async function check(name, fn) {
  try {
    const r = await fn();
    console.log('ok ' + name);
    return r;
  } catch (e) {
    const code = e && (e.errno || (e.original && e.original.errno) || (e.parent && e.parent.errno));
    console.log(`fail ${name}: ${oneLine((code ? `[${code}] ` : '') + (e && e.message ? e.message : e))}`);
    if (process.env.QUARRY_TRACE) console.error(e);
    return undefined;
  }
}

function skip(name, why) {
  console.log(`skip ${name}: ${oneLine(why)}`);
}

function done() {
  console.log('done');
}

// canonical: JSON with object keys sorted, so that equal documents compare
// equal whatever the key order.
function canonical(v) {
  return JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x) && !Buffer.isBuffer(x)
    ? Object.keys(x).sort().reduce((o, key) => { o[key] = x[key]; return o; }, {})
    : x));
}

function eq(what, got, want) {
  const g = canonical(got);
  const w = canonical(want);
  if (g !== w) throw new Error(`${what} = ${g}, want ${w}`);
}

function errno(e) {
  if (!e) return undefined;
  return e.errno || (e.original && e.original.errno) || (e.parent && e.parent.errno) || (e.driverError && e.driverError.errno);
}

async function expectError(code, fn) {
  try {
    await fn();
  } catch (e) {
    if (errno(e) !== code) throw new Error(`got error ${errno(e)} (${e.message}), want MySQL error ${code}`);
    return;
  }
  throw new Error(`no error, want MySQL error ${code}`);
}

const SCHEMA = [
  `CREATE TABLE customers (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(190) NOT NULL,
    name VARCHAR(100) NOT NULL,
    nickname VARCHAR(100) NULL,
    tier ENUM('free','pro','enterprise') NOT NULL DEFAULT 'free',
    created_at DATETIME(6) NOT NULL,
    updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    UNIQUE KEY uq_customers_email (email),
    KEY idx_customers_name (name)
  )`,
  `CREATE TABLE orders (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    qty INT NOT NULL DEFAULT 1,
    note VARCHAR(255) NULL,
    attrs JSON NULL,
    payload BLOB NULL,
    status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
    placed_at DATETIME(6) NOT NULL,
    KEY idx_orders_customer_placed (customer_id, placed_at),
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
  )`,
];

const FULLTEXT = `CREATE TABLE articles (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  title VARCHAR(200) NOT NULL,
  body TEXT,
  FULLTEXT KEY ft_articles (title, body)
)`;

const NICK = '小张 😀🎉';
const BLOB = Buffer.from([0x00, 0xff, 0x10, 0x27, 0x5c, 0x00]);
// DATETIME(6) values as text (drivers' Date has only milliseconds).
const PLACED = ['2024-03-01 10:00:00.123456', '2024-03-02 11:30:00.500000', '2024-04-02 09:15:00.000000'];

module.exports = { env, check, skip, done, eq, errno, expectError, SCHEMA, FULLTEXT, NICK, BLOB, PLACED };
