'use strict';
// TypeORM (over mysql2): synchronize (which loads the whole schema from
// information_schema), the pending-schema diff after it (must be empty),
// QueryRunner introspection, repositories, QueryBuilder with pessimistic
// locks, transactions.

require('reflect-metadata');
const { DataSource, EntitySchema } = require('typeorm');
const { env, check, done, eq, expectError, NICK, BLOB, PLACED } = require('./common');

console.log('version: typeorm ' + require('./versions')('typeorm') + ' (mysql2 ' + require('./versions')('mysql2') + ')');

const Customer = new EntitySchema({
  name: 'Customer',
  tableName: 'customers',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    email: { type: 'varchar', length: 190 },
    name: { type: 'varchar', length: 100 },
    nickname: { type: 'varchar', length: 100, nullable: true },
    tier: { type: 'enum', enum: ['free', 'pro', 'enterprise'], default: 'free' },
    created_at: { type: 'datetime', precision: 6 },
    updated_at: { type: 'timestamp', nullable: true, default: () => 'CURRENT_TIMESTAMP', onUpdate: 'CURRENT_TIMESTAMP', updateDate: false },
  },
  indices: [{ name: 'idx_customers_name', columns: ['name'] }],
  uniques: [{ name: 'uq_customers_email', columns: ['email'] }],
  relations: { orders: { type: 'one-to-many', target: 'Order', inverseSide: 'customer' } },
});

const Order = new EntitySchema({
  name: 'Order',
  tableName: 'orders',
  comment: 'customer orders',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    customer_id: { type: 'bigint' },
    amount: { type: 'decimal', precision: 12, scale: 2 },
    qty: { type: 'int', default: 1 },
    note: { type: 'varchar', length: 255, nullable: true, comment: 'free text' },
    attrs: { type: 'json', nullable: true },
    payload: { type: 'blob', nullable: true },
    status: { type: 'enum', enum: ['new', 'paid', 'shipped', 'cancelled'], default: 'new' },
    placed_at: { type: 'datetime', precision: 6 },
  },
  indices: [{ name: 'idx_orders_customer_placed', columns: ['customer_id', 'placed_at'] }],
  relations: {
    customer: {
      type: 'many-to-one', target: 'Customer', inverseSide: 'orders',
      joinColumn: { name: 'customer_id', foreignKeyConstraintName: 'fk_orders_customer' }, onDelete: 'RESTRICT',
    },
  },
});

function source(database, entities) {
  return new DataSource({
    type: 'mysql', host: env.host, port: env.port, username: env.user, password: env.password, database,
    entities: entities || [], charset: 'utf8mb4', dateStrings: true, logging: false, connectTimeout: 5000, poolSize: 4,
  });
}

(async () => {
  let ds;
  await check('connect', async () => {
    const d0 = await source(undefined).initialize();
    await d0.query(`CREATE DATABASE ${env.database}`);
    await d0.destroy();
    ds = await source(env.database, [Customer, Order]).initialize();
    // EntitySchemaTransformer (0.3.x) does not copy an EntitySchema's table
    // comment into the metadata (only @Entity({ comment }) does), so set it
    // where the decorator would: synchronize then creates the table with
    // COMMENT="customer orders" next to a table-level PRIMARY KEY (...).
    ds.getMetadata('Order').comment = Order.options.comment;
  });
  if (!ds) {
    done();
    return;
  }
  await check('synchronize', () => ds.synchronize());
  await check('synchronize_no_pending_changes', async () => {
    // TypeORM reads the schema back (information_schema.TABLES, COLUMNS,
    // STATISTICS, KEY_COLUMN_USAGE, REFERENTIAL_CONSTRAINTS) and diffs it
    // with the entities: nothing may be left to change.
    const sqlIn = await ds.driver.createSchemaBuilder().log();
    const ups = sqlIn.upQueries.map((q) => q.query);
    if (ups.length) throw new Error('pending schema changes after synchronize: ' + ups.join(' ; '));
  });
  await check('query_runner_introspection', async () => {
    const qr = ds.createQueryRunner();
    try {
      const t = await qr.getTable('orders');
      const cols = Object.fromEntries(t.columns.map((c) => [c.name, `${c.type}/${c.length || c.precision || ''}/${c.isNullable}/${c.default === undefined ? '' : c.default}/${c.isGenerated}`]));
      eq('orders columns', cols, {
        id: 'bigint//false//true', customer_id: 'bigint//false//false', amount: 'decimal/12/false//false', qty: "int//false/'1'/false",
        note: 'varchar/255/true//false', attrs: 'json//true//false', payload: 'blob//true//false',
        status: "enum//false/'new'/false", placed_at: 'datetime/6/false//false',
      });
      eq('foreign keys', t.foreignKeys.map((f) => [f.name, f.columnNames, f.referencedTableName, f.referencedColumnNames, f.onDelete]),
        [['fk_orders_customer', ['customer_id'], 'customers', ['id'], 'RESTRICT']]);
      const idx = t.indices.find((i) => i.name === 'idx_orders_customer_placed');
      eq('idx_orders_customer_placed', idx && [idx.columnNames, idx.isUnique], [['customer_id', 'placed_at'], false]);
      eq('table comment', t.comment, 'customer orders');
      const c = await qr.getTable('customers');
      // On MySQL, TypeORM creates unique constraints as UNIQUE INDEX and
      // reads them back as indices with isUnique (Table.uniques stays empty).
      const uq = c.indices.find((i) => i.name === 'uq_customers_email');
      eq('uq_customers_email', uq && [uq.columnNames, uq.isUnique], [['email'], true]);
    } finally {
      await qr.release();
    }
  });

  const ids = {};
  await check('save_autoinc', async () => {
    const customers = ds.getRepository('Customer');
    const orders = ds.getRepository('Order');
    const z = await customers.save({ email: 'zhang@example.com', name: '张伟', nickname: NICK, tier: 'pro', created_at: '2024-01-02 03:04:05.123456' });
    const b = await customers.save({ email: 'bob@example.com', name: 'Bob', created_at: '2024-02-01 00:00:00.000001' });
    const os = await orders.save([
      { customer_id: z.id, amount: '12.34', qty: 2, attrs: { gift: true, 名: '值' }, payload: BLOB, status: 'paid', placed_at: PLACED[0] },
      { customer_id: z.id, amount: '0.01', note: '多 emoji 🚀', placed_at: PLACED[1] },
      { customer_id: b.id, amount: '99999999.99', qty: 3, payload: Buffer.alloc(0), status: 'shipped', placed_at: PLACED[2] },
    ]);
    if (!(Number(z.id) > 0 && Number(b.id) > Number(z.id) && os.every((o) => Number(o.id) > 0))) throw new Error('ids not assigned');
    ids.z = z.id;
    ids.b = b.id;
    ids.o = os.map((o) => o.id);
  });
  await check('find_relations', async () => {
    const z = await ds.getRepository('Customer').findOne({ where: { email: 'zhang@example.com' }, relations: { orders: true }, order: { orders: { id: 'ASC' } } });
    eq('customer', [z.name, z.nickname, z.tier], ['张伟', NICK, 'pro']);
    eq('orders', z.orders.map((o) => [o.amount, o.qty, o.status, o.payload && o.payload.toString('hex'), o.attrs]),
      [['12.34', 2, 'paid', BLOB.toString('hex'), { gift: true, 名: '值' }], ['0.01', 1, 'new', null, null]]);
    const page = await ds.getRepository('Order').find({ order: { id: 'ASC' }, skip: 1, take: 2 });
    eq('skip/take', page.map((o) => o.id), ids.o.slice(1));
  });
  await check('constraint_errors', async () => {
    await expectError(1062, () => ds.getRepository('Customer').insert({ email: 'bob@example.com', name: 'x', created_at: '2024-01-01 00:00:00' }));
    await expectError(1452, () => ds.getRepository('Order').insert({ customer_id: 999999, amount: '1', placed_at: '2024-01-01 00:00:00' }));
  });
  await check('transaction_pessimistic_lock', async () => {
    await ds.transaction(async (m) => {
      const o = await m.getRepository('Order').createQueryBuilder('o').setLock('pessimistic_write').where('o.id = :id', { id: ids.o[1] }).getOne();
      await m.getRepository('Order').update(o.id, { qty: o.qty + 1 });
    });
    const qr = ds.createQueryRunner();
    await qr.startTransaction();
    await qr.manager.getRepository('Order').update({}, { qty: 0 }).catch(() => qr.query('UPDATE orders SET qty = 0'));
    await qr.rollbackTransaction();
    await qr.release();
    const [{ s }] = await ds.query('SELECT SUM(qty) AS s FROM orders');
    eq('SUM(qty)', Number(s), 7);
  });
  await check('query_builder_aggregates', async () => {
    const rows = await ds.getRepository('Order').createQueryBuilder('o')
      .select('o.customer_id', 'cid').addSelect('COUNT(*)', 'n').addSelect('SUM(o.amount)', 'total')
      .addSelect('ROW_NUMBER() OVER (ORDER BY o.customer_id)', 'rn')
      .groupBy('o.customer_id').orderBy('o.customer_id').getRawMany();
    eq('aggregates', rows.map((r) => [Number(r.n), String(r.total), Number(r.rn)]), [[2, '12.35', 1], [1, '99999999.99', 2]]);
  });
  await check('update_delete', async () => {
    const u = await ds.getRepository('Customer').update({ id: ids.b }, { tier: 'pro' });
    eq('updated', u.affected, 1);
    const d = await ds.getRepository('Order').delete({ status: 'shipped' });
    eq('deleted', d.affected, 1);
  });
  await ds.destroy();
  done();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
