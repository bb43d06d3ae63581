'use strict';
// knex: migrations (latest, rollback, latest again) with the schema
// builder, introspection (hasTable, hasColumn, columnInfo), the query
// builder, transactions and forUpdate.

const Knex = require('knex');
const { env, check, done, eq, expectError, NICK, BLOB, PLACED } = require('./common');

console.log('version: knex ' + require('./versions')('knex') + ' (mysql2 ' + require('./versions')('mysql2') + ')');

const migrations = {
  '001_customers': {
    up: (k) => k.schema.createTable('customers', (t) => {
      t.bigIncrements('id');
      t.string('email', 190).notNullable().unique('uq_customers_email');
      t.string('name', 100).notNullable().index('idx_customers_name');
      t.string('nickname', 100).nullable();
      t.enu('tier', ['free', 'pro', 'enterprise']).notNullable().defaultTo('free');
      t.datetime('created_at', { precision: 6 }).notNullable();
      t.timestamp('updated_at').nullable().defaultTo(k.raw('CURRENT_TIMESTAMP'));
    }),
    down: (k) => k.schema.dropTable('customers'),
  },
  '002_orders': {
    up: (k) => k.schema.createTable('orders', (t) => {
      t.bigIncrements('id');
      t.bigInteger('customer_id').unsigned().notNullable();
      t.decimal('amount', 12, 2).notNullable();
      t.integer('qty').notNullable().defaultTo(1);
      t.string('note', 255).nullable().comment('free text');
      t.json('attrs').nullable();
      t.binary('payload').nullable();
      t.enu('status', ['new', 'paid', 'shipped', 'cancelled']).notNullable().defaultTo('new');
      t.datetime('placed_at', { precision: 6 }).notNullable();
      t.index(['customer_id', 'placed_at'], 'idx_orders_customer_placed');
      t.foreign('customer_id', 'fk_orders_customer').references('customers.id');
      t.comment('customer orders');
    }),
    down: (k) => k.schema.dropTable('orders'),
  },
  '003_add_column': {
    up: (k) => k.schema.alterTable('orders', (t) => {
      t.string('coupon', 20).nullable().after('note');
    }),
    down: (k) => k.schema.alterTable('orders', (t) => {
      t.dropColumn('coupon');
    }),
  },
};

const migrationSource = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (m) => m,
  getMigration: async (m) => migrations[m],
};

(async () => {
  let knex;
  await check('connect', async () => {
    const k0 = Knex({ client: 'mysql2', connection: { host: env.host, port: env.port, user: env.user, password: env.password } });
    await k0.raw(`CREATE DATABASE ${env.database}`);
    await k0.destroy();
    knex = Knex({
      client: 'mysql2',
      connection: { host: env.host, port: env.port, user: env.user, password: env.password, database: env.database, charset: 'utf8mb4', dateStrings: true },
      pool: { min: 0, max: 4 },
    });
    await knex.raw('SELECT 1');
  });
  if (!knex) {
    done();
    return;
  }

  await check('migrate_latest', async () => {
    const [batch, log] = await knex.migrate.latest({ migrationSource });
    eq('migrations run', [batch, log], [1, ['001_customers', '002_orders', '003_add_column']]);
    const [, again] = await knex.migrate.latest({ migrationSource });
    eq('second latest', again, []);
  });
  await check('migrate_rollback_and_again', async () => {
    const [, down] = await knex.migrate.rollback({ migrationSource }, true);
    eq('rolled back', down.slice().sort(), ['001_customers', '002_orders', '003_add_column']);
    if (await knex.schema.hasTable('orders')) throw new Error('orders still exists after rollback');
    const [, up] = await knex.migrate.latest({ migrationSource });
    eq('migrated again', up.length, 3);
    const status = await knex.migrate.status({ migrationSource });
    eq('migrate.status pending', status, 0);
  });
  await check('introspection', async () => {
    if (!(await knex.schema.hasTable('customers'))) throw new Error('hasTable(customers) = false');
    if (!(await knex.schema.hasColumn('orders', 'coupon'))) throw new Error('hasColumn(orders.coupon) = false');
    const info = await knex('orders').columnInfo();
    const got = Object.fromEntries(Object.entries(info).map(([k, v]) => [k, `${v.type}/${v.maxLength}/${v.nullable}/${v.defaultValue}`]));
    eq('columnInfo(orders)', got, {
      id: 'bigint/null/false/null',
      customer_id: 'bigint/null/false/null',
      amount: 'decimal/null/false/null',
      qty: 'int/null/false/1',
      note: 'varchar/255/true/null',
      coupon: 'varchar/20/true/null',
      attrs: 'json/null/true/null',
      payload: 'blob/65535/true/null',
      status: 'enum/9/false/new',
      placed_at: 'datetime/null/false/null',
    });
  });

  const ids = {};
  await check('insert_autoinc', async () => {
    const [z] = await knex('customers').insert({ email: 'zhang@example.com', name: '张伟', nickname: NICK, tier: 'pro', created_at: '2024-01-02 03:04:05.123456' });
    const [b] = await knex('customers').insert({ email: 'bob@example.com', name: 'Bob', created_at: '2024-02-01 00:00:00.000001' });
    if (!(z > 0 && b === z + 1)) throw new Error(`insert ids ${z}, ${b}`);
    ids.z = z;
    ids.b = b;
    await knex('orders').insert([
      { customer_id: z, amount: '12.34', qty: 2, attrs: JSON.stringify({ 名: '值' }), payload: BLOB, status: 'paid', placed_at: PLACED[0] },
      { customer_id: z, amount: '0.01', note: '多 emoji 🚀', placed_at: PLACED[1] },
      { customer_id: b, amount: '99999999.99', qty: 3, payload: Buffer.alloc(0), status: 'shipped', placed_at: PLACED[2] },
    ]);
    ids.o = (await knex('orders').orderBy('id').pluck('id'));
  });
  await check('read_back', async () => {
    const rows = await knex('orders').orderBy('id').select('amount', 'qty', 'status', 'payload', 'note');
    eq('rows', rows.map((r) => [r.amount, r.qty, r.status, r.payload && r.payload.toString('hex'), r.note]),
      [['12.34', 2, 'paid', BLOB.toString('hex'), null], ['0.01', 1, 'new', null, '多 emoji 🚀'], ['99999999.99', 3, 'shipped', '', null]]);
    const c = await knex('customers').where({ email: 'bob@example.com' }).first();
    eq('defaults', [c.tier, c.nickname, c.updated_at !== null], ['free', null, true]);
  });
  await check('constraint_errors', async () => {
    await expectError(1062, () => knex('customers').insert({ email: 'bob@example.com', name: 'x', created_at: knex.fn.now() }));
    await expectError(1452, () => knex('orders').insert({ customer_id: 999999, amount: 1, placed_at: knex.fn.now() }));
  });
  await check('transaction_for_update', async () => {
    await knex.transaction(async (trx) => {
      const o = await trx('orders').where('id', ids.o[1]).forUpdate().first();
      await trx('orders').where('id', o.id).update({ qty: o.qty + 1 });
    });
    try {
      await knex.transaction(async (trx) => {
        await trx('orders').update({ qty: 0 });
        throw new Error('boom');
      });
    } catch (e) {
      if (e.message !== 'boom') throw e;
    }
    eq('SUM(qty)', Number((await knex('orders').sum({ s: 'qty' }))[0].s), 7);
  });
  await check('query_builder_report', async () => {
    const rows = await knex('orders as o').join('customers as c', 'c.id', 'o.customer_id')
      .select('c.name').count({ n: 'o.id' }).max({ last: 'o.placed_at' })
      .groupBy('c.id', 'c.name').having(knex.raw('COUNT(o.id) > ?', [0])).orderBy('c.id').limit(10).offset(0);
    eq('report', rows.map((r) => [r.name, Number(r.n), r.last]), [['张伟', 2, PLACED[1]], ['Bob', 1, PLACED[2]]]);
    const w = await knex.select('id', knex.raw('ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY placed_at DESC) AS rn')).from('orders').orderBy('id');
    eq('window', w.map((r) => [r.id, Number(r.rn)]), [[ids.o[0], 2], [ids.o[1], 1], [ids.o[2], 1]]);
  });
  await check('update_delete', async () => {
    eq('updated', await knex('customers').where('id', ids.b).update({ tier: 'pro' }), 1);
    eq('deleted', await knex('orders').where('status', 'shipped').del(), 1);
  });
  await knex.destroy();
  done();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
