'use strict';
// mysql2: the application scenario twice, with connection.query (text
// protocol, client-side placeholders) and connection.execute (server-side
// prepared statements, binary protocol).

const mysql = require('mysql2/promise');
const { env, check, done, eq, expectError, SCHEMA, FULLTEXT, NICK, BLOB, PLACED } = require('./common');

console.log('version: mysql2 ' + require('./versions')('mysql2') + ', node ' + process.version);

function connect(database) {
  return mysql.createConnection({
    host: env.host, port: env.port, user: env.user, password: env.password, database,
    charset: 'utf8mb4', dateStrings: true, supportBigNumbers: true, bigNumberStrings: false, connectTimeout: 5000,
  });
}

async function scenario(mode) {
  const db = `${env.database}_${mode}`;
  const c = (name, fn) => check(`${mode}/${name}`, fn);
  let conn;
  await c('connect', async () => {
    const c0 = await connect(undefined);
    const [[row]] = await c0.query('SELECT VERSION() AS v');
    if (!String(row.v).startsWith('8.')) throw new Error(`VERSION() = ${row.v}`);
    await c0.query(`CREATE DATABASE ${db}`);
    await c0.end();
    conn = await connect(db);
  });
  if (!conn) return;
  // run: the statement in this mode.
  const run = (sql, params) => (mode === 'execute' ? conn.execute(sql, params) : conn.query(sql, params));
  const rows = async (sql, params) => (await run(sql, params))[0];

  await c('create_schema', async () => {
    for (const s of SCHEMA) await conn.query(s);
  });
  await c('fulltext_index', () => conn.query(FULLTEXT));

  const cust = [];
  await c('insert_autoinc', async () => {
    for (const r of [
      ['zhang@example.com', '张伟', NICK, 'pro', '2024-01-02 03:04:05.123456'],
      ['bob@example.com', 'Bob', null, 'free', '2024-02-01 00:00:00.000001'],
      ['carol@example.com', 'Carol', '', 'enterprise', '2024-02-03 00:00:00'],
    ]) {
      const [res] = await run('INSERT INTO customers (email, name, nickname, tier, created_at) VALUES (?, ?, ?, ?, ?)', r);
      const [[{ id }]] = await conn.query('SELECT LAST_INSERT_ID() AS id');
      if (!(res.insertId > 0) || Number(id) !== res.insertId) throw new Error(`insertId ${res.insertId}, LAST_INSERT_ID() ${id}`);
      cust.push(res.insertId);
    }
  });
  if (cust.length !== 3) cust.splice(0, cust.length, 1, 2, 3);

  const oid = [];
  await c('insert_types', async () => {
    const ins = 'INSERT INTO orders (customer_id, amount, qty, note, attrs, payload, status, placed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
    for (const r of [
      [cust[0], '12.34', 2, null, JSON.stringify({ gift: true, tags: ['a', 'b'], 名: '值' }), BLOB, 'paid', PLACED[0]],
      [cust[0], '0.01', 1, '多 emoji 🚀', null, null, 'new', PLACED[1]],
      [cust[1], '99999999.99', 3, 'it\'s "quoted" \\ back', '{}', Buffer.alloc(0), 'shipped', PLACED[2]],
    ]) {
      const [res] = await run(ins, r);
      oid.push(res.insertId);
    }
  });

  await c('read_decimal', async () => {
    const r = await rows('SELECT amount FROM orders ORDER BY id');
    eq('amounts', r.map((x) => x.amount), ['12.34', '0.01', '99999999.99']);
  });
  await c('read_datetime6', async () => {
    const r = await rows('SELECT placed_at FROM orders ORDER BY id');
    // The text protocol carries MySQL's text (six digits for DATETIME(6));
    // in the binary protocol mysql2 formats the value itself and leaves out
    // a zero fraction.
    const got = r.map((x) => (mode === 'execute' && x.placed_at.length === 19 ? x.placed_at + '.000000' : x.placed_at));
    eq('placed_at', got, PLACED);
  });
  await c('read_json', async () => {
    const r = await rows('SELECT attrs, JSON_EXTRACT(attrs, \'$.tags[1]\') AS t FROM orders WHERE id = ?', [oid[0]]);
    eq('attrs', r[0].attrs, { gift: true, tags: ['a', 'b'], 名: '值' });
    eq('tags[1]', r[0].t, 'b');
    const n = await rows('SELECT COUNT(*) AS n FROM orders WHERE attrs->>\'$."名"\' = ?', ['值']);
    eq('count', Number(n[0].n), 1);
  });
  await c('read_blob', async () => {
    const r = await rows('SELECT payload FROM orders ORDER BY id');
    eq('payloads', r.map((x) => (x.payload === null ? null : x.payload.toString('hex'))), [BLOB.toString('hex'), null, '']);
  });
  await c('read_enum_null_unicode', async () => {
    const r = await rows('SELECT c.name, c.nickname, c.tier, o.status FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id');
    eq('rows', r.map((x) => [x.name, x.nickname, x.tier, x.status]),
      [['张伟', NICK, 'pro', 'paid'], ['张伟', NICK, 'pro', 'new'], ['Bob', null, 'free', 'shipped']]);
  });
  await c('unique_violation', () => expectError(1062, () => run('INSERT INTO customers (email, name, created_at) VALUES (?, ?, NOW())', ['bob@example.com', 'x'])));
  await c('fk_violation', async () => {
    await expectError(1452, () => run('INSERT INTO orders (customer_id, amount, placed_at) VALUES (?, ?, NOW())', [999999, '1.00']));
    await expectError(1451, () => run('DELETE FROM customers WHERE id = ?', [cust[0]]));
  });
  await c('params_limit', async () => {
    let r = await rows('SELECT id FROM orders WHERE customer_id = ? ORDER BY placed_at DESC LIMIT ?', [cust[0], 1]);
    eq('LIMIT ?', r.map((x) => x.id), [oid[1]]);
    r = await rows('SELECT id FROM orders ORDER BY id LIMIT ? OFFSET ?', [2, 1]);
    eq('LIMIT ? OFFSET ?', r.map((x) => x.id), oid.slice(1));
  });
  await c('tx_commit_rollback', async () => {
    await conn.beginTransaction();
    await run('UPDATE orders SET qty = qty + 10 WHERE id = ?', [oid[0]]);
    await run('INSERT INTO orders (customer_id, amount, placed_at) VALUES (?, ?, ?)', [cust[2], '5.00', PLACED[2]]);
    await conn.commit();
    await conn.beginTransaction();
    await run('UPDATE orders SET qty = 0', []);
    await run('DELETE FROM orders WHERE customer_id = ?', [cust[2]]);
    await conn.rollback();
    const r = await rows('SELECT SUM(qty) AS s, COUNT(*) AS n FROM orders');
    eq('SUM(qty), COUNT(*)', [Number(r[0].s), Number(r[0].n)], [17, 4]);
  });
  await c('select_for_update', async () => {
    await conn.beginTransaction();
    try {
      const [[{ qty }]] = await run('SELECT qty FROM orders WHERE id = ? FOR UPDATE', [oid[1]]);
      const other = await connect(db);
      let lockErr;
      try {
        await other.query('SET SESSION innodb_lock_wait_timeout = 1');
        await other.beginTransaction();
        const t0 = Date.now();
        const otherRun = mode === 'execute' ? other.execute.bind(other) : other.query.bind(other);
        await expectError(1205, () => otherRun('UPDATE orders SET qty = qty + 1 WHERE id = ?', [oid[1]]));
        if (Date.now() - t0 < 500) throw new Error(`lock wait ended after ${Date.now() - t0}ms`);
      } catch (e) {
        lockErr = e;
      } finally {
        await other.rollback();
        await other.end();
      }
      // The update the lock was taken for (also when the lock failed, so
      // that later checks see the same data).
      await run('UPDATE orders SET qty = ? WHERE id = ?', [qty + 1, oid[1]]);
      await conn.commit();
      if (lockErr) throw lockErr;
    } catch (e) {
      await conn.rollback();
      throw e;
    }
  });
  await c('join_group_by', async () => {
    const r = await rows(`SELECT c.name, COUNT(o.id) AS n, SUM(o.qty) AS q FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
      GROUP BY c.id, c.name HAVING COUNT(o.id) > ? ORDER BY n DESC, c.name`, [0]);
    eq('rows', r.map((x) => [x.name, Number(x.n), Number(x.q)]), [['张伟', 2, 14], ['Bob', 1, 3], ['Carol', 1, 1]]);
  });
  await c('sum_decimal', async () => {
    const r = await rows('SELECT SUM(amount) AS s FROM orders WHERE qty > ?', [0]);
    eq('SUM(amount)', String(r[0].s), '100000017.34');
  });
  await c('window_functions', async () => {
    const r = await rows(`SELECT id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY placed_at) AS rn,
      LAG(id) OVER (ORDER BY id) AS prev FROM orders WHERE id <= ? ORDER BY id`, [oid[2]]);
    eq('rows', r.map((x) => [x.id, Number(x.rn), x.prev]), [[oid[0], 1, null], [oid[1], 2, oid[0]], [oid[2], 1, oid[1]]]);
  });
  await c('update_delete', async () => {
    let [res] = await run('UPDATE orders SET status = \'cancelled\', note = NULL WHERE customer_id = ?', [cust[0]]);
    eq('UPDATE affectedRows', res.affectedRows, 2);
    [res] = await run('UPDATE orders SET status = \'cancelled\' WHERE customer_id = ?', [cust[0]]);
    eq('no-op UPDATE changedRows', res.changedRows === undefined ? 0 : res.changedRows, 0);
    [res] = await run('DELETE FROM orders WHERE status = ?', ['cancelled']);
    eq('DELETE affectedRows', res.affectedRows, 2);
  });
  await c('field_metadata', async () => {
    const [, fields] = await run('SELECT id, amount, note, attrs, payload, status, placed_at FROM orders WHERE id > ?', [0]);
    // MySQL column types: LONGLONG 8, NEWDECIMAL 246, VAR_STRING 253, JSON 245, BLOB 252, STRING 254 (ENUM), DATETIME 12.
    eq('columnType', fields.map((f) => [f.name, f.columnType]),
      [['id', 8], ['amount', 246], ['note', 253], ['attrs', 245], ['payload', 252], ['status', 254], ['placed_at', 12]]);
  });
  await conn.end();
}

(async () => {
  await scenario('query');
  await scenario('execute');
  done();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
