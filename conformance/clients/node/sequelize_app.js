'use strict';
// Sequelize: models with associations, sync() and sync({ alter: true })
// (which introspects every table), queryInterface introspection, managed
// transactions with row locks, aggregates.

const { Sequelize, DataTypes, Op, Transaction } = require('sequelize');
const { env, check, done, eq, expectError, NICK, BLOB, PLACED } = require('./common');

console.log('version: sequelize ' + require('./versions')('sequelize') + ' (mysql2 ' + require('./versions')('mysql2') + ')');

function open(database, log) {
  return new Sequelize(database, env.user, env.password, {
    host: env.host, port: env.port, dialect: 'mysql', logging: log || false,
    dialectOptions: { dateStrings: true, typeCast: true, charset: 'utf8mb4', connectTimeout: 5000 },
    timezone: '+00:00', pool: { max: 4 },
  });
}

(async () => {
  let sq;
  await check('connect', async () => {
    const s0 = open('');
    await s0.query(`CREATE DATABASE ${env.database}`);
    await s0.close();
    sq = open(env.database);
    await sq.authenticate();
    const v = await sq.databaseVersion();
    if (!v.startsWith('8.')) throw new Error(`databaseVersion() = ${v}`);
  });
  if (!sq) {
    done();
    return;
  }
  const Customer = sq.define('Customer', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    email: { type: DataTypes.STRING(190), allowNull: false, unique: 'uq_customers_email' },
    name: { type: DataTypes.STRING(100), allowNull: false },
    nickname: { type: DataTypes.STRING(100) },
    tier: { type: DataTypes.ENUM('free', 'pro', 'enterprise'), allowNull: false, defaultValue: 'free' },
    created_at: { type: DataTypes.DATE(6), allowNull: false },
  }, { tableName: 'customers', timestamps: true, createdAt: false, updatedAt: 'updated_at', indexes: [{ name: 'idx_customers_name', fields: ['name'] }] });
  const Order = sq.define('Order', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    amount: { type: DataTypes.DECIMAL(12, 2), allowNull: false },
    qty: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    note: { type: DataTypes.STRING(255), comment: 'free text' },
    attrs: { type: DataTypes.JSON },
    payload: { type: DataTypes.BLOB },
    status: { type: DataTypes.ENUM('new', 'paid', 'shipped', 'cancelled'), allowNull: false, defaultValue: 'new' },
    placed_at: { type: DataTypes.DATE(6), allowNull: false },
  }, { tableName: 'orders', timestamps: false, comment: 'customer orders', indexes: [{ name: 'idx_orders_customer_placed', fields: ['customer_id', 'placed_at'] }] });
  Customer.hasMany(Order, { foreignKey: { name: 'customer_id', allowNull: false }, as: 'orders', onDelete: 'RESTRICT' });
  Order.belongsTo(Customer, { foreignKey: { name: 'customer_id', allowNull: false }, as: 'customer' });

  await check('sync', () => sq.sync());
  await check('sync_alter_idempotent', async () => {
    // sync({ alter: true }) describes every table and its foreign keys and
    // re-asserts every column (dropping and re-adding foreign keys); on an
    // unchanged model the indexes and foreign keys must come out the same.
    const qi = sq.getQueryInterface();
    const shape = async () => JSON.stringify([
      (await qi.showIndex('orders')).map((i) => i.name).sort(),
      (await qi.showIndex('customers')).map((i) => i.name).sort(),
      (await qi.getForeignKeyReferencesForTable('orders')).map((f) => [f.columnName, f.referencedTableName, f.referencedColumnName]),
    ]);
    const before = await shape();
    await sq.sync({ alter: true });
    const after = await shape();
    eq('indexes and foreign keys after sync({ alter: true })', after, before);
  });
  await check('query_interface', async () => {
    const qi = sq.getQueryInterface();
    const d = await qi.describeTable('orders');
    eq('describeTable(orders)', Object.fromEntries(Object.entries(d).map(([k, v]) => [k, `${v.type}/${v.allowNull}/${v.defaultValue}/${v.primaryKey}/${v.autoIncrement}`])), {
      id: 'BIGINT/false/null/true/true',
      amount: 'DECIMAL(12,2)/false/null/false/false',
      qty: 'INT/false/1/false/false',
      note: 'VARCHAR(255)/true/null/false/false',
      attrs: 'JSON/true/null/false/false',
      payload: 'BLOB/true/null/false/false',
      status: "ENUM('new','paid','shipped','cancelled')/false/new/false/false",
      placed_at: 'DATETIME(6)/false/null/false/false',
      customer_id: 'BIGINT/false/null/false/false',
    });
    const fks = await qi.getForeignKeyReferencesForTable('orders');
    eq('foreign keys', fks.map((f) => [f.columnName, f.referencedTableName, f.referencedColumnName]), [['customer_id', 'customers', 'id']]);
    const idx = await qi.showIndex('customers');
    eq('showIndex(customers)', idx.map((i) => [i.name, i.unique, i.fields.map((f) => f.attribute)]).sort(),
      [['PRIMARY', true, ['id']], ['idx_customers_name', false, ['name']], ['uq_customers_email', true, ['email']]]);
    eq('showAllTables', (await qi.showAllTables()).sort(), ['customers', 'orders']);
  });

  const ids = {};
  await check('create_associations', async () => {
    const z = await Customer.create({
      email: 'zhang@example.com', name: '张伟', nickname: NICK, tier: 'pro', created_at: '2024-01-02 03:04:05.123456',
      orders: [
        { amount: '12.34', qty: 2, attrs: { gift: true, 名: '值' }, payload: BLOB, status: 'paid', placed_at: PLACED[0] },
        { amount: '0.01', note: '多 emoji 🚀', placed_at: PLACED[1] },
      ],
    }, { include: [{ model: Order, as: 'orders' }] });
    const b = await Customer.create({ email: 'bob@example.com', name: 'Bob', created_at: '2024-02-01 00:00:00.000001' });
    await Order.bulkCreate([{ customer_id: b.id, amount: '99999999.99', qty: 3, payload: Buffer.alloc(0), status: 'shipped', placed_at: PLACED[2] }]);
    // Sequelize inserts the included orders concurrently, so their ids need
    // not follow array order.
    if (!(z.id > 0 && b.id > z.id && z.orders[0].id > 0 && z.orders[1].id > 0 && z.orders[0].id !== z.orders[1].id)) throw new Error('ids not assigned');
    ids.z = z.id;
    ids.b = b.id;
    ids.o = (await Order.findAll({ order: [['id', 'ASC']] })).map((o) => o.id);
  });
  await check('read_back', async () => {
    const z = await Customer.findOne({ where: { email: 'zhang@example.com' }, include: [{ model: Order, as: 'orders' }], order: [[{ model: Order, as: 'orders' }, 'amount', 'DESC']] });
    eq('customer', [z.name, z.nickname, z.tier, String(z.created_at).slice(0, 19)], ['张伟', NICK, 'pro', '2024-01-02 03:04:05']);
    eq('orders', z.orders.map((o) => [o.amount, o.qty, o.status, o.payload && o.payload.toString('hex'), o.attrs]),
      [['12.34', 2, 'paid', BLOB.toString('hex'), { gift: true, 名: '值' }], ['0.01', 1, 'new', null, null]]);
  });
  await check('constraint_errors', async () => {
    await expectError(1062, () => Customer.create({ email: 'bob@example.com', name: 'x', created_at: new Date() }));
    await expectError(1452, () => Order.create({ customer_id: 999999, amount: 1, placed_at: new Date() }));
  });
  await check('transaction_lock', async () => {
    await sq.transaction(async (t) => {
      const o = await Order.findByPk(ids.o[1], { transaction: t, lock: t.LOCK.UPDATE });
      await o.update({ qty: o.qty + 1 }, { transaction: t });
    });
    try {
      await sq.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ }, async (t) => {
        await Order.update({ qty: 0 }, { where: {}, transaction: t });
        throw new Error('boom');
      });
    } catch (e) {
      if (e.message !== 'boom') throw e;
    }
    eq('SUM(qty)', Number(await Order.sum('qty')), 7);
  });
  await check('aggregates_limit', async () => {
    const rows = await Order.findAll({
      attributes: ['customer_id', [sq.fn('COUNT', sq.col('id')), 'n'], [sq.fn('SUM', sq.col('amount')), 'total']],
      group: ['customer_id'], order: [['customer_id', 'ASC']], raw: true,
    });
    eq('aggregates', rows.map((r) => [Number(r.n), String(r.total)]), [[2, '12.35'], [1, '99999999.99']]);
    const page = await Order.findAll({ where: { amount: { [Op.gt]: 0 } }, order: [['id', 'ASC']], limit: 2, offset: 1 });
    eq('page', page.map((o) => o.id), ids.o.slice(1));
    const [w] = await sq.query('SELECT id, RANK() OVER (ORDER BY amount DESC) AS rk FROM orders ORDER BY amount LIMIT ?', { replacements: [3] });
    eq('window', w.map((r) => Number(r.rk)), [3, 2, 1]);
  });
  await check('update_destroy', async () => {
    const [n] = await Customer.update({ tier: 'pro' }, { where: { id: ids.b } });
    eq('updated', n, 1);
    eq('destroyed', await Order.destroy({ where: { status: 'shipped' } }), 1);
  });
  await sq.close();
  done();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
